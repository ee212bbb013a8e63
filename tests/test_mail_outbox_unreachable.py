"""A relay that cannot be reached ends the outbox round at the first mail, not after a timeout for each."""
import socket

from app.extensions import db
from app.mail import outbox
from app.mail.outbox import deliver_due, store_mail
from app.models import Headquarters, OutgoingMail


def test_a_round_stops_at_a_relay_that_does_not_answer(app, monkeypatch):
    """Host up, relay hung (the connection is taken, no greeting): one timeout for the round, not one a mail."""
    monkeypatch.setattr(outbox, "SMTP_TIMEOUT_SECONDS", 1)  # the test's patience, not its subject
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)  # the kernel completes connections; nothing ever answers on them
    app.config["MAIL_RELAY"] = None  # stored only, all due now
    try:
        with app.app_context(), db.connection_context():
            ids = [store_mail(f"waiting{n}@docomo.ne.jp", "application_received",
                              hq=Headquarters.get(code="chitose")).id for n in range(4)]
            app.config["MAIL_RELAY"] = f"127.0.0.1:{hung.getsockname()[1]}"
            assert deliver_due() == 0
            attempts = [OutgoingMail.get_by_id(mail_id).attempts for mail_id in ids]
    finally:
        hung.close()
    assert attempts == [1, 0, 0, 0]  # the others wait for the next round, still due
