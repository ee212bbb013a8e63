"""The proxy-call card at /proxy (SPEC §5): a bystander reads or hears what happened and where."""
from flask import Blueprint

bp = Blueprint("proxy", __name__)

from . import views  # noqa: E402,F401  (routes register on import)
