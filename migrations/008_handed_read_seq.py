"""008: how far the HQs that handed a case on had read it (既読), kept apart from the new HQ's reading."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the handed-on read marker."""
    migrator.add_fields('report', handed_read_seq=pw.IntegerField(default=0))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove it."""
    migrator.remove_fields('report', 'handed_read_seq')
