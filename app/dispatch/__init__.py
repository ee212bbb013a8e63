"""The dispatcher console at /dispatch (SPEC §4)."""
from flask import Blueprint

bp = Blueprint("dispatch", __name__)

from . import views, ws  # noqa: E402,F401  (routes register on import)
