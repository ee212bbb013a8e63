"""The outbox against a slow relay and more than one sender: every mail goes out once."""
import asyncio
import threading
import time
from datetime import timedelta

from aiosmtpd.controller import Controller

from app.extensions import db
from app.mail.outbox import deliver_due, send_mail
from app.models import Headquarters, OutgoingMail, utcnow

from .conftest import free_port
from .test_registration import Sink


class SlowSink(Sink):
    """A relay that takes its time to accept each mail, as a busy one does."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(1.5)
        return await super().handle_DATA(server, session, envelope)


def slow_relay(app):
    sink = SlowSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config["MAIL_RELAY"] = f"127.0.0.1:{controller.port}"
    return sink, controller


def stored_mail(app, to):
    """A mail in the outbox, due now, as when the relay was down when it was written."""
    with app.app_context(), db.connection_context():
        relay, app.config["MAIL_RELAY"] = app.config["MAIL_RELAY"], None
        mail = send_mail(to, "application_received", hq=Headquarters.get(code="chitose"))
        app.config["MAIL_RELAY"] = relay
        return mail.id


def run_together(app, *rounds):
    """Run each callable in a thread of its own, with its own app context and connection, at once."""
    def run(round_):
        with app.app_context(), db.connection_context():
            round_()
    threads = [threading.Thread(target=run, args=(round_,)) for round_ in rounds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


def test_two_outbox_rounds_at_once_send_a_mail_once(app):
    """Two `net119 outbox` workers (or a cron round overlapping the last) do not both send a mail."""
    sink, controller = slow_relay(app)
    try:
        mail_id = stored_mail(app, "once@docomo.ne.jp")
        run_together(app, deliver_due, deliver_due)
    finally:
        controller.stop()
    assert len(sink.messages_to("once@docomo.ne.jp")) == 1
    with app.app_context(), db.connection_context():
        mail = OutgoingMail.get_by_id(mail_id)
        assert mail.sent_at is not None and mail.attempts == 1


def test_the_attempt_made_on_writing_is_not_repeated_while_the_relay_is_slow(app):
    """send_mail's own attempt owns its mail for longer than a slow relay can take."""
    sink, controller = slow_relay(app)
    try:
        def write():
            send_mail("slow@docomo.ne.jp", "application_received", hq=Headquarters.get(code="chitose"))

        def worker_a_minute_later():
            time.sleep(0.5)  # the mail is stored and its attempt under way
            deliver_due(now=utcnow() + timedelta(minutes=1))
        run_together(app, write, worker_a_minute_later)
    finally:
        controller.stop()
    assert len(sink.messages_to("slow@docomo.ne.jp")) == 1
