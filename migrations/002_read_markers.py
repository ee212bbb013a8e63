"""002: read markers (既読) on reports: how far each side has displayed the ledger."""

from contextlib import suppress

import peewee as pw
from peewee_migrate import Migrator


with suppress(ImportError):
    import playhouse.postgres_ext as pw_pext


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the two read markers."""
    migrator.add_fields(
        'report',
        resident_read_seq=pw.IntegerField(default=0),
        staff_read_seq=pw.IntegerField(default=0))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove the two read markers."""
    migrator.remove_fields('report', 'resident_read_seq', 'staff_read_seq')
