"""009: a mail the outbox gave up on (refused for good, or not taken for days): when, and why.

Also an index on the address: the administrator's pages find a resident's activation mail by it.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the failure's time and kind, and the address index."""
    # A default in the database too: a row written by hand, or by a process still on the code of
    # before, need not name the column.
    migrator.add_fields('outgoing_mail', failed_at=pw.DateTimeField(null=True),
                        failure=pw.CharField(max_length=16, default="", constraints=[pw.SQL("DEFAULT ''")]))
    migrator.add_index('outgoing_mail', 'to_address')


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove them."""
    migrator.drop_index('outgoing_mail', 'to_address')
    migrator.remove_fields('outgoing_mail', 'failed_at', 'failure')
