"""007: drop the indexes no query uses from the two tables every chat message writes.

Each chat message inserts one ledger event and one audit entry; every index on
them is one more B-tree page to change and write to the WAL before the commit's
fsync, on the server's one event loop (bench/README.md, realtime). Kept: the
unique (report_id, seq) and (report_id, client_id) of the ledger, which also
serve every lookup by report, and the audit log's report_id (the case record).
Dropped: report_event(report_id), a prefix of (report_id, seq); report_event
(staff_id) and audit_entry(created_at), (hq_id), (staff_id), which no query
reads by (staff and HQs are deactivated, never deleted, so no foreign-key check
needs them either).
"""
import peewee as pw
from peewee_migrate import Migrator

DROPPED = {
    "reportevent_report_id": ("report_event", "report_id"),
    "reportevent_staff_id": ("report_event", "staff_id"),
    "auditentry_created_at": ("audit_entry", "created_at"),
    "auditentry_hq_id": ("audit_entry", "hq_id"),
    "auditentry_staff_id": ("audit_entry", "staff_id"),
}


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the unused indexes."""
    for name in DROPPED:
        migrator.sql(f'DROP INDEX IF EXISTS "{name}"')


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create them again."""
    for name, (table, column) in DROPPED.items():
        migrator.sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')
