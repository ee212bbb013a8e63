"""006: failed logins, for a short back-off per login ID and per client address (SPEC §7)."""

from contextlib import suppress

import peewee as pw
from peewee_migrate import Migrator


with suppress(ImportError):
    import playhouse.postgres_ext as pw_pext


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the login_failure table."""

    @migrator.create_model
    class LoginFailure(pw.Model):
        id = pw.AutoField()
        key = pw.CharField(max_length=64)
        failed_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "login_failure"
            indexes = [(("key", "failed_at"), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove the login_failure table."""
    migrator.remove_model('login_failure')
