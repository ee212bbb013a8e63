"""Things every part shares: health check, error pages, template helpers, the installable app."""
from flask import Blueprint

bp = Blueprint("core", __name__)

from . import pwa, views  # noqa: E402,F401  (routes register on import)
