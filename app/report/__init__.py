"""The resident app at / (SPEC §3): log in once, two taps, chat."""
from flask import Blueprint

bp = Blueprint("report", __name__)

from . import views, ws  # noqa: E402,F401  (routes register on import)
