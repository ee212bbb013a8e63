"""The intake never answers mail that a machine sent (RFC 3834), and our mail says it is automatic.

An out-of-office reply or a bounce answered with another mail, which is answered again, is a mail
loop: it fills a resident's phone and gets the service's sender blocked by the carriers.
"""
import smtplib

import pytest

from app.extensions import db
from app.models import OutgoingMail

from .test_registration import intake, relay, send_empty_mail  # noqa: F401 (fixtures)

INTAKE_ADDRESS = "r.chitose@net119.test"


def send_raw(intake, sender, content):  # noqa: F811 (the fixture's name)
    """Send ``content`` (headers and body, as bytes) from the envelope ``sender``; return the DATA answer."""
    with smtplib.SMTP(intake.hostname, intake.port, timeout=5) as client:
        client.ehlo()
        client.mail(sender)
        code, _ = client.rcpt(INTAKE_ADDRESS)
        assert code == 250
        return client.data(content)


def stored_for(app, address):
    with app.app_context(), db.connection_context():
        return OutgoingMail.select().where(OutgoingMail.to_address == address).count()


@pytest.mark.parametrize("headers", [
    b"Auto-Submitted: auto-replied\r\nSubject: =?UTF-8?B?5LiN5Zyo?=\r\n",
    b"Auto-Submitted: Auto-Generated (vacation)\r\n",
    b"Precedence: bulk\r\n",
    b"Precedence: junk\r\n",
    b"X-Autoreply: yes\r\n",
])
def test_an_automatic_reply_is_taken_and_not_answered(app, relay, intake, headers):  # noqa: F811
    """An out-of-office answer to our mail gets a 250 (no bounce) and no mail back."""
    code, _ = send_raw(intake, "away@example.jp", headers + b"\r\nI am away until Monday.\r\n")
    assert code == 250
    assert stored_for(app, "away@example.jp") == 0
    assert relay.envelopes == []


def test_a_bounce_is_taken_and_not_answered(app, relay, intake):  # noqa: F811
    """A delivery report (null sender) is not refused either: refusing it makes one more bounce."""
    code, _ = send_raw(intake, "", b"From: Mail Delivery System <MAILER-DAEMON@mx.example.jp>\r\n"
                                   b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n")
    assert code == 250
    with app.app_context(), db.connection_context():
        assert OutgoingMail.select().count() == 0


def test_mailer_daemon_is_not_answered(app, relay, intake):  # noqa: F811
    code, _ = send_raw(intake, "MAILER-DAEMON@mx.example.jp", b"Subject: Undelivered Mail\r\n\r\n")
    assert code == 250
    assert stored_for(app, "MAILER-DAEMON@mx.example.jp") == 0


def test_a_phone_that_says_auto_submitted_no_is_answered(app, relay, intake):  # noqa: F811
    """``Auto-Submitted: no`` is a person's mail: it gets the link like any empty mail."""
    code, _ = send_raw(intake, "hanako@docomo.ne.jp", b"Auto-Submitted: no\r\n\r\n")
    assert code == 250
    assert len(relay.messages_to("hanako@docomo.ne.jp")) == 1


def test_undecodable_headers_are_still_answered(app, relay, intake):  # noqa: F811
    """Shift_JIS bytes in a header (old phones) neither crash the intake nor lose the link."""
    code, _ = send_raw(intake, "old.phone@ezweb.ne.jp",
                       "Subject: 登録\r\nFrom: 千歳 <old.phone@ezweb.ne.jp>\r\n\r\n".encode("shift_jis"))
    assert code == 250
    assert len(relay.messages_to("old.phone@ezweb.ne.jp")) == 1


def test_our_mail_says_it_is_automatic(app, relay, intake):  # noqa: F811
    """Every mail we send carries Auto-Submitted, so a responder on the other side keeps quiet."""
    send_empty_mail(intake, "taro@example.jp", INTAKE_ADDRESS)
    [reply] = relay.messages_to("taro@example.jp")
    assert reply["Auto-Submitted"] == "auto-generated"
