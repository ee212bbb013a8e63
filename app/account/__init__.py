"""Account self-service at /account (SPEC §7.6): profile, password, devices, cancellation."""
from flask import Blueprint

bp = Blueprint("account", __name__)

from . import views  # noqa: E402,F401  (routes register on import)
