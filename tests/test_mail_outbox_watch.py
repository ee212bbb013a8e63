"""The outbox when the relay does not take a mail: the operator is told."""
import logging

from app.extensions import db
from app.mail.outbox import send_mail
from app.models import Headquarters

from .conftest import free_port


def test_a_mail_the_relay_did_not_take_is_logged_for_the_operator(app, caplog):
    """Relay down: the log names the mail (by id and carrier, not the person's address), the attempt,
    the reason and the next try."""
    app.config["MAIL_RELAY"] = f"127.0.0.1:{free_port()}"  # nothing listens there
    with app.app_context(), db.connection_context(), caplog.at_level(logging.WARNING):
        mail = send_mail("waiting@docomo.ne.jp", "application_received", hq=Headquarters.get(code="chitose"))
    [record] = [r for r in caplog.records if f"#{mail.id}" in r.getMessage()]
    assert record.levelno == logging.WARNING
    text = record.getMessage()
    assert "waiting@" not in text and "docomo.ne.jp" in text
    assert "attempt 1" in text and "ConnectionRefusedError" in text and "next try" in text
