"""Applying the numbered schema migrations in migrations/ (peewee-migrate)."""
from peewee_migrate import Router

from . import PROJECT_ROOT
from .extensions import db

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def router():
    """A migration router on the bound database."""
    return Router(db.obj, migrate_dir=MIGRATIONS_DIR, ignore=["basemodel"])


def apply_migrations():
    """Apply every migration not applied yet; return their names."""
    with db.connection_context():
        return router().run()


def pending_migrations():
    """The names of the migrations not applied yet (all of them on an empty database)."""
    with db.connection_context():
        return list(router().diff)


def schema_state():
    """``(pending, newer)``: migrations not applied yet, and those applied by a newer NET119 than this one."""
    with db.connection_context():
        migrations = router()
        known = set(migrations.todo)
        return list(migrations.diff), [name for name in migrations.done if name not in known]
