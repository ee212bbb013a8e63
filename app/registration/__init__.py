"""Registration at /register (SPEC §7): the link by mail, the application form, activation."""
from flask import Blueprint

bp = Blueprint("registration", __name__)

from . import views  # noqa: E402,F401  (routes register on import)
