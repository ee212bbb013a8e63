"""``python -m app`` is the ``net119`` command (used where the script is not on PATH)."""
from .cli import main

main()
