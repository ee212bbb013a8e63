"""004: the dispatcher console: claims on reports, the audit log and canned phrases (SPEC §4)."""

from contextlib import suppress

import peewee as pw
from peewee_migrate import Migrator


with suppress(ImportError):
    import playhouse.postgres_ext as pw_pext


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the claim to reports, and the audit log and canned phrase tables."""
    migrator.add_fields(
        'report',
        claimed_by=pw.ForeignKeyField(column_name='claimed_by_id', field='id',
                                      model=migrator.orm['staff'], null=True),
        claimed_at=pw.DateTimeField(null=True))

    @migrator.create_model
    class AuditEntry(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField(index=True)
        hq = pw.ForeignKeyField(column_name='hq_id', field='id', model=migrator.orm['headquarters'], null=True)
        report = pw.ForeignKeyField(column_name='report_id', field='id', model=migrator.orm['report'], null=True)
        staff = pw.ForeignKeyField(column_name='staff_id', field='id', model=migrator.orm['staff'], null=True)
        actor = pw.CharField(max_length=255)
        action = pw.CharField(max_length=255)
        event_seq = pw.IntegerField(null=True)
        detail = pw.TextField()

        class Meta:
            table_name = "audit_entry"

    @migrator.create_model
    class CannedPhrase(pw.Model):
        id = pw.AutoField()
        hq = pw.ForeignKeyField(column_name='hq_id', field='id', model=migrator.orm['headquarters'],
                                on_delete='CASCADE')
        text = pw.CharField(max_length=200)
        position = pw.IntegerField(default=0)

        class Meta:
            table_name = "canned_phrase"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove the claim, the audit log and canned phrases."""
    migrator.remove_model('canned_phrase')
    migrator.remove_model('audit_entry')
    migrator.remove_fields('report', 'claimed_by', 'claimed_at')
