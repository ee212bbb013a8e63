"""HQ administration at /admin (SPEC §7, §4): a stub until the registration issue."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import questions, resident, settings, views  # noqa: E402,F401  (routes register on import)
