"""The intake's answers when its own storage fails: try again later, never a permanent refusal."""
import smtplib
import sqlite3

import pytest

from app.models import Headquarters, OutgoingMail
from .test_registration import intake, relay, send_empty_mail  # noqa: F401 (fixtures)


def database_file(app):
    return app.config["DATABASE_URL"].removeprefix("sqlite:///")


def rename_table(app, old, new):
    with sqlite3.connect(database_file(app)) as connection:
        connection.execute(f"ALTER TABLE {old} RENAME TO {new}")


@pytest.mark.parametrize("table", [OutgoingMail._meta.table_name, Headquarters._meta.table_name])
def test_a_storage_fault_is_a_temporary_refusal_and_the_retry_works(app, relay, intake, table):  # noqa: F811
    """The phone's mail server is told 451 (it retries), not 500 (it bounces), and sees no internals."""
    rename_table(app, table, f"{table}_away")
    with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPRecipientsRefused)) as refused:
        send_empty_mail(intake, "hanako@docomo.ne.jp", "r.chitose@net119.test")
    error = refused.value
    code, text = (error.smtp_code, error.smtp_error) if isinstance(error, smtplib.SMTPDataError) \
        else error.recipients["r.chitose@net119.test"]
    assert code == 451
    assert b"Error" not in text and b"no such table" not in text and b"Operational" not in text
    rename_table(app, f"{table}_away", table)
    send_empty_mail(intake, "hanako@docomo.ne.jp", "r.chitose@net119.test")
    assert len(relay.messages_to("hanako@docomo.ne.jp")) == 1
