"""003: registration: applications, the mail outbox and one-time activation tokens (SPEC §7)."""

from contextlib import suppress

import peewee as pw
from peewee_migrate import Migrator


with suppress(ImportError):
    import playhouse.postgres_ext as pw_pext


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the three registration tables."""

    @migrator.create_model
    class ActivationToken(pw.Model):
        id = pw.AutoField()
        token_hash = pw.CharField(max_length=64, unique=True)
        resident = pw.ForeignKeyField(column_name='resident_id', field='id', model=migrator.orm['resident'], on_delete='CASCADE')
        expires_at = pw.DateTimeField()
        used_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "activation_token"

    @migrator.create_model
    class Application(pw.Model):
        id = pw.AutoField()
        hq = pw.ForeignKeyField(column_name='hq_id', field='id', model=migrator.orm['headquarters'])
        email = pw.CharField(max_length=255)
        status = pw.CharField(default='draft', max_length=255)
        draft = pw.TextField()
        reason = pw.TextField(default='')
        resident = pw.ForeignKeyField(column_name='resident_id', field='id', model=migrator.orm['resident'], null=True)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        submitted_at = pw.DateTimeField(null=True)
        decided_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "application"

    @migrator.create_model
    class OutgoingMail(pw.Model):
        id = pw.AutoField()
        to_address = pw.CharField(max_length=255)
        subject = pw.CharField(max_length=255)
        body = pw.TextField()
        created_at = pw.DateTimeField()
        sent_at = pw.DateTimeField(null=True)
        attempts = pw.IntegerField(default=0)
        next_attempt_at = pw.DateTimeField()
        last_error = pw.TextField(default='')

        class Meta:
            table_name = "outgoing_mail"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove the three registration tables."""
    migrator.remove_model('outgoing_mail')
    migrator.remove_model('application')
    migrator.remove_model('activation_token')
