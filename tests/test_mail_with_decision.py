"""A decision and its mail are stored together: never an approval whose mail can no longer be sent."""
import sqlite3

import pytest
from peewee import OperationalError

from app.extensions import db
from app.models import Application, OutgoingMail, Resident, utcnow
from app.registration import applications

from .test_registration import VALID_APPLICATION


def submitted(email):
    return Application.create(hq=1, email=email, status="submitted", draft=VALID_APPLICATION, submitted_at=utcnow())


def outbox_away(app):
    """The outbox's table renamed: any write of a mail fails, as when the database refuses writes."""
    table = OutgoingMail._meta.table_name
    with sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///")) as connection:
        connection.execute(f"ALTER TABLE {table} RENAME TO {table}_away")

    def back():
        with sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///")) as connection:
            connection.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    return back


@pytest.mark.parametrize("decide", [
    lambda application: applications.approve(application),
    lambda application: applications.reject(application, "管轄区域外のため"),
])
def test_a_mail_that_cannot_be_stored_undoes_the_decision(app, decide):
    """The administrator sees the error and can decide again; the applicant then gets the mail."""
    with app.app_context(), db.connection_context():
        application = submitted("decided@docomo.ne.jp")
        back = outbox_away(app)
        with pytest.raises(OperationalError):
            decide(Application.get_by_id(application.id))
        back()
        assert Application.get_by_id(application.id).status == "submitted"
        assert not Resident.select().where(Resident.email == "decided@docomo.ne.jp").exists()
        assert decide(Application.get_by_id(application.id))
        assert OutgoingMail.select().where(OutgoingMail.to_address == "decided@docomo.ne.jp").count() == 1
