"""Practice reports at /practice (SPEC §6): the resident's screens, an automatic dispatcher, own storage."""
from flask import Blueprint

from . import store

bp = Blueprint("practice", __name__)


@bp.record_once
def bind_store(state):
    """Give practice its own database, never the real one."""
    store.init_app(state.app)


from . import views, ws  # noqa: E402,F401  (routes register on import)
