"""A mail the relay refuses for good is failed at once; one it cannot take for days is given up; both are said."""
import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from app.extensions import db
from app.mail import outbox
from app.mail.outbox import deliver_due, send_mail, store_mail
from app.migrations_runner import router
from app.models import Headquarters, OutgoingMail, utcnow

from .conftest import ROOT, free_port
from .test_registration import Sink


class RefusingRelay(Sink):
    """A relay that answers RCPT, or DATA, with the reply it is given, and counts what it was asked."""

    def __init__(self, rcpt="250 OK", data="250 OK"):
        super().__init__()
        self.rcpt, self.data, self.rcpt_asked = rcpt, data, 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_asked += 1
        if self.rcpt.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt

    async def handle_DATA(self, server, session, envelope):
        if not self.data.startswith("250"):
            return self.data
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def refusing(app):
    """Start a relay that refuses as told; it is the app's relay from then on."""
    started = []

    def start(**replies):
        relay = RefusingRelay(**replies)
        controller = Controller(relay, hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        app.config["MAIL_RELAY"] = f"127.0.0.1:{controller.port}"
        return relay
    yield start
    for controller in started:
        controller.stop()


def mail_to(address):
    """Mail ``address`` through the outbox, as the registration does (one attempt at once)."""
    return send_mail(address, "application_received", hq=Headquarters.get(code="chitose"))


def retry_until_settled(mail_id, rounds=200):
    """Run outbox rounds at each retry time in turn, as the worker would over the days; the mail at the end."""
    for _ in range(rounds):
        mail = OutgoingMail.get_by_id(mail_id)
        if mail.sent_at or mail.failed_at:
            return mail
        deliver_due(now=mail.next_attempt_at)
    return OutgoingMail.get_by_id(mail_id)


@pytest.mark.both_databases
def test_an_address_that_does_not_exist_is_failed_at_once_and_never_tried_again(app, refusing):
    """550 to RCPT (no such user): the mail is failed with when and why, and no later round tries it."""
    relay = refusing(rcpt="550 5.1.1 <nobody@docomo.ne.jp>: User unknown")
    with app.app_context(), db.connection_context():
        mail = mail_to("nobody@docomo.ne.jp")
        mail = OutgoingMail.get_by_id(mail.id)
        assert mail.sent_at is None and mail.failed_at is not None and mail.failure == "refused"
        assert mail.last_error.startswith("SMTPRecipientsRefused: 550 5.1.1")
        assert "nobody@" not in mail.last_error  # the reply's words, not the resident's address again
        for later in (timedelta(minutes=10), timedelta(hours=7), timedelta(days=30)):
            assert deliver_due(now=utcnow() + later) == 0
        assert OutgoingMail.get_by_id(mail.id).attempts == 1
    assert relay.rcpt_asked == 1


def test_a_message_refused_at_data_is_failed_at_once(app, refusing):
    """554 to DATA (the carrier's filter will not take it): failed, not retried."""
    relay = refusing(data="554 5.7.1 Message rejected by policy")
    with app.app_context(), db.connection_context():
        mail = mail_to("filtered@ezweb.ne.jp")
        assert deliver_due(now=utcnow() + timedelta(days=1)) == 0
        mail = OutgoingMail.get_by_id(mail.id)
    assert mail.failure == "refused" and mail.attempts == 1
    assert mail.last_error == "SMTPDataError: 554 5.7.1 Message rejected by policy"
    assert relay.rcpt_asked == 1


def test_a_temporary_refusal_is_tried_again_and_then_goes(app, refusing):
    """451 to RCPT (greylisting, a full queue): kept, retried on the schedule, sent when the relay takes it."""
    refusing(rcpt="451 4.7.1 Greylisted, try again later")
    with app.app_context(), db.connection_context():
        mail = mail_to("grey@softbank.ne.jp")
        waiting = OutgoingMail.get_by_id(mail.id)
        assert waiting.failed_at is None and waiting.sent_at is None and waiting.failure == ""
        assert waiting.last_error == "SMTPRecipientsRefused: 451 4.7.1 Greylisted, try again later"
        relay = refusing()  # the greylist lets it through now
        assert deliver_due(now=waiting.next_attempt_at) == 1
    assert len(relay.messages_to("grey@softbank.ne.jp")) == 1


@pytest.mark.parametrize("replies", [None, {"rcpt": "421 4.3.2 Service shutting down"}],
                         ids=["relay-down", "4xx-for-days"])
def test_a_mail_that_cannot_go_for_three_days_is_given_up(app, refusing, replies):
    """Temporary failures are retried until GIVE_UP_AFTER has passed since the mail was written, then failed."""
    if replies is None:
        app.config["MAIL_RELAY"] = f"127.0.0.1:{free_port()}"  # nothing listens there
    else:
        refusing(**replies)
    with app.app_context(), db.connection_context():
        mail = retry_until_settled(mail_to("away@docomo.ne.jp").id)
    assert mail.sent_at is None
    assert mail.failure == "gave_up" and mail.failed_at is not None
    # Tried up to the deadline, not beyond it, and not left hours short of it either.
    deadline = mail.created_at + outbox.GIVE_UP_AFTER
    assert deadline <= mail.failed_at < deadline + timedelta(minutes=1)
    assert 10 < mail.attempts < 30


def test_the_last_try_of_a_given_up_mail_is_at_the_deadline(app):
    """The retry after the 6-hour steps is at GIVE_UP_AFTER exactly, not 6 hours past it."""
    app.config["MAIL_RELAY"] = f"127.0.0.1:{free_port()}"
    with app.app_context(), db.connection_context():
        mail = mail_to("late@docomo.ne.jp")
        deadline = mail.created_at + outbox.GIVE_UP_AFTER
        OutgoingMail.update(attempts=12).where(OutgoingMail.id == mail.id).execute()  # on 6-hour steps now
        deliver_due(now=deadline - timedelta(hours=1))
        assert OutgoingMail.get_by_id(mail.id).next_attempt_at == deadline


def test_a_failed_mail_is_logged_as_an_error_without_the_address(app, refusing, caplog):
    """The operator's log says the mail is not delivered and will not be tried again; the carrier, not the person."""
    refusing(rcpt="550 5.1.1 <nobody@docomo.ne.jp>: User unknown")
    with app.app_context(), db.connection_context(), caplog.at_level(logging.WARNING):
        mail = mail_to("nobody@docomo.ne.jp")
    [record] = [r for r in caplog.records if f"#{mail.id}" in r.getMessage()]
    text = record.getMessage()
    assert record.levelno == logging.ERROR
    assert "nobody@" not in text and "docomo.ne.jp" in text
    assert "not delivered" in text and "not tried again" in text and "550 5.1.1" in text


def test_the_outbox_command_says_which_mail_it_gave_up(app, refusing, tmp_path):
    """`net119 outbox --once` with a mail the relay refuses: the output says so, not just `sent 0`."""
    relay = refusing(rcpt="550 5.1.1 User unknown")
    with app.app_context(), db.connection_context():
        app.config["MAIL_RELAY"], address = None, app.config["MAIL_RELAY"]  # stored only: the command sends it
        mail = store_mail("nobody@docomo.ne.jp", "application_received", hq=Headquarters.get(code="chitose"))
    env = dict(os.environ, NET119_DATABASE_URL=app.config["DATABASE_URL"], NET119_SECRET_KEY="test-secret",
               NET119_MAIL_RELAY=address)
    done = subprocess.run([sys.executable, "-m", "app", "outbox", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert relay.rcpt_asked == 1
    assert f"mail #{mail.id}" in done.stderr and "not delivered" in done.stderr
    assert "failed 1" in done.stdout


@pytest.mark.both_databases
def test_migration_009_rolls_back_and_applies_again_keeping_the_outbox(app):
    """009 on the real database (SQLite and PostgreSQL): mail kept; after it, a failure can be stored."""
    with app.app_context(), db.connection_context():
        app.config["MAIL_RELAY"] = None
        mail_id = mail_to("kept@docomo.ne.jp").id
        migrations = router()
        [name] = [m for m in migrations.done if m.startswith("009_")]
        migrations.rollback()
        assert name not in router().done
        assert router().run() == [name]
        OutgoingMail.update(failed_at=utcnow(), failure="refused").where(OutgoingMail.id == mail_id).execute()
        mail = OutgoingMail.get_by_id(mail_id)
    assert mail.to_address == "kept@docomo.ne.jp" and mail.failure == "refused"


class SenderRefusingRelay(Sink):
    """A relay that will not take mail from our sender address (553 to MAIL FROM)."""

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        return "553 5.7.1 Sender address rejected: not owned by user"


def test_a_sender_refused_for_good_is_failed_at_once(app):
    relay = Controller(SenderRefusingRelay(), hostname="127.0.0.1", port=free_port())
    relay.start()
    app.config["MAIL_RELAY"] = f"127.0.0.1:{relay.port}"
    try:
        with app.app_context(), db.connection_context():
            mail = OutgoingMail.get_by_id(mail_to("someone@docomo.ne.jp").id)
    finally:
        relay.stop()
    assert mail.failure == "refused" and mail.last_error.startswith("SMTPSenderRefused: 553 5.7.1")


def test_a_relay_that_refuses_us_at_the_greeting_is_not_a_refusal_of_the_mail(app):
    """554 before any mail is named: the relay's fault (every mail alike), so the mail waits for it to be mended."""
    greeter = socket.socket()
    greeter.bind(("127.0.0.1", 0))
    greeter.listen(4)

    def refuse_everyone():
        with contextlib.suppress(OSError):
            while True:
                connection, _ = greeter.accept()
                with connection:
                    connection.sendall(b"554 5.3.2 No SMTP service here\r\n")
                    connection.recv(1024)
    threading.Thread(target=refuse_everyone, daemon=True).start()
    app.config["MAIL_RELAY"] = f"127.0.0.1:{greeter.getsockname()[1]}"
    try:
        with app.app_context(), db.connection_context():
            mail = OutgoingMail.get_by_id(mail_to("someone@docomo.ne.jp").id)
    finally:
        greeter.close()
    assert mail.failed_at is None and mail.failure == "" and mail.last_error.startswith("SMTPConnectError: 554")


@pytest.mark.parametrize("reply", ["552 5.2.2 Mailbox full", "552 5.5.3 Too many recipients"])
def test_a_552_to_rcpt_is_temporary_and_tried_again(app, refusing, reply):
    """RFC 5321 §4.5.3.1.10: a 552 to RCPT (too many recipients, a full mailbox) is treated as 452, not failed."""
    refusing(rcpt=reply)
    with app.app_context(), db.connection_context():
        mail = mail_to("full@docomo.ne.jp")
        waiting = OutgoingMail.get_by_id(mail.id)
        assert waiting.failed_at is None and waiting.failure == "" and waiting.sent_at is None
        assert waiting.last_error == f"SMTPRecipientsRefused: {reply}"
        assert waiting.next_attempt_at > waiting.created_at
        relay = refusing()  # the resident made room in the mailbox
        assert deliver_due(now=waiting.next_attempt_at) == 1
    assert len(relay.messages_to("full@docomo.ne.jp")) == 1


def test_a_552_to_data_is_still_refused_for_good(app, refusing):
    """The exception is RCPT's: a 552 to DATA (the message exceeds what the mailbox takes) is failed at once."""
    refusing(data="552 5.3.4 Message too big")
    with app.app_context(), db.connection_context():
        mail = OutgoingMail.get_by_id(mail_to("big@docomo.ne.jp").id)
    assert mail.failure == "refused"
