"""A mail tried again after a lost answer keeps its Message-ID, so the copy can be recognised and dropped."""
from datetime import timedelta

from aiosmtpd.controller import Controller

from app.extensions import db
from app.mail.outbox import deliver_due, send_mail
from app.models import Headquarters, OutgoingMail, utcnow

from .conftest import free_port
from .test_registration import Sink


class AnswerLostSink(Sink):
    """A relay that takes the first mail and then loses the connection before it can say so."""

    async def handle_DATA(self, server, session, envelope):
        await super().handle_DATA(server, session, envelope)
        if len(self.envelopes) == 1:
            server.transport.close()
            return "421 4.3.0 gone"
        return "250 OK"


def test_the_copy_sent_after_a_lost_answer_has_the_same_message_id(app):
    sink = AnswerLostSink()
    relay = Controller(sink, hostname="127.0.0.1", port=free_port())
    relay.start()
    app.config["MAIL_RELAY"] = f"127.0.0.1:{relay.port}"
    try:
        with app.app_context(), db.connection_context():
            mail = send_mail("copy@docomo.ne.jp", "application_received", hq=Headquarters.get(code="chitose"))
            assert OutgoingMail.get_by_id(mail.id).sent_at is None  # as far as we know, not sent
            assert deliver_due(now=utcnow() + timedelta(minutes=10)) == 1
    finally:
        relay.stop()
    first, second = sink.messages_to("copy@docomo.ne.jp")
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].endswith("@net119.localhost>")
