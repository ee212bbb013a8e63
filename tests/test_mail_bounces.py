"""A mail the relay took and the recipient's side bounced later (RFC 3464) is failed, and the administrators see it.

Each mail goes with an envelope sender of its own (bounce+<id>-<tag>@MAIL_DOMAIN); the bounce
comes back there, to the real intake, over SMTP, as Postfix writes it.
"""
import logging
import re
import smtplib
from email import message_from_bytes
from email.message import Message
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, make_msgid

import pytest

from app.extensions import db
from app.mail import bounces, return_path
from app.mail.intake import BOUNCES_PER_MAIL
from app.mail.outbox import sender_address
from app.models import OutgoingMail, Resident, utcnow

from .test_activation_mail_failed import residents_list_rows, text_of
from .test_activation_resend import EMAIL, admin, approved  # noqa: F401  (admin is a fixture)
from .test_admin_resident_address import NEW, correct
from .test_registration import intake, relay  # noqa: F401  (fixtures)
from .test_review_admin import post, submitted

UNKNOWN_USER = "smtp; 550 5.1.1 <hanako.@docomo.ne.jp>: Recipient address rejected: User unknown"


def postfix_bounce(envelope, action="failed", status="5.1.1", diagnostic=UNKNOWN_USER):
    """The bounce Postfix writes for the mail the relay took in ``envelope``: a multipart/report (RFC 3464)."""
    [recipient] = envelope.rcpt_tos
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = "MAILER-DAEMON@mx.example.jp (Mail Delivery System)"
    report["To"] = envelope.mail_from
    report["Subject"] = ("Delayed Mail (still being retried)" if action == "delayed"
                         else "Undelivered Mail Returned to Sender")
    report["Date"] = format_datetime(utcnow())
    report["Message-ID"] = make_msgid(domain="mx.example.jp")
    report["Auto-Submitted"] = "auto-replied"
    report.attach(MIMEText("This is the mail system at host mx.example.jp.\n\n"
                           "I'm sorry to have to inform you that your message could not\n"
                           "be delivered to one or more recipients.\n"))
    per_message = Message()
    per_message["Reporting-MTA"] = "dns; mx.example.jp"
    per_message["X-Postfix-Queue-ID"] = "4F3A2C1B2A"
    per_message["X-Postfix-Sender"] = f"rfc822; {envelope.mail_from}"
    per_message["Arrival-Date"] = format_datetime(utcnow())
    per_recipient = Message()
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Original-Recipient"] = f"rfc822;{recipient}"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    per_recipient["Remote-MTA"] = "dns; mfsmax.docomo.ne.jp"
    if diagnostic:
        per_recipient["Diagnostic-Code"] = diagnostic
    delivery_status = Message()
    delivery_status["Content-Description"] = "Delivery report"
    delivery_status["Content-Type"] = "message/delivery-status"
    delivery_status.attach(per_message)
    delivery_status.attach(per_recipient)
    report.attach(delivery_status)
    returned = MIMEMessage(message_from_bytes(envelope.content))
    returned["Content-Description"] = "Undelivered Message"
    report.attach(returned)
    return report.as_bytes(policy=compat32.clone(linesep="\r\n"))  # smtplib sends bytes as they are


def send_to(intake, recipient, content, sender=""):  # noqa: F811 (the fixture's name)
    """Send ``content`` to ``recipient`` at the intake from ``sender`` (a bounce's null sender by default).

    Returns the answer to DATA; raises SMTPRecipientsRefused when RCPT is refused.
    """
    with smtplib.SMTP(intake.hostname, intake.port, timeout=10) as client:
        client.ehlo()
        client.mail(sender)
        code, text = client.rcpt(recipient)
        if code != 250:
            raise smtplib.SMTPRecipientsRefused({recipient: (code, text)})
        return client.data(content)


def rcpt_answer(intake, recipient):  # noqa: F811
    with smtplib.SMTP(intake.hostname, intake.port, timeout=10) as client:
        client.ehlo()
        client.mail("")
        return client.rcpt(recipient)


def stored():
    with db.connection_context():
        return OutgoingMail.select().count()


def the_mail(mail_id):
    with db.connection_context():
        return OutgoingMail.get_by_id(mail_id)


def envelope_of_the_last_mail(relay, address=EMAIL):  # noqa: F811
    """The envelope in which the relay took the last mail to ``address``, and that mail's id."""
    envelope = [e for e in relay.envelopes if address in e.rcpt_tos][-1]
    return envelope, int(re.fullmatch(r"bounce\+(\d+)-[0-9a-f]+@net119\.test", envelope.mail_from)[1])


def test_the_outbox_sends_each_mail_with_a_bounce_address_of_its_own(app, relay, intake):  # noqa: F811
    """MAIL FROM is bounce+<id>-<tag>@MAIL_DOMAIN, one a mail; the From header stays the address residents allow."""
    approved(app)
    approved(app, email="jiro@ezweb.ne.jp")
    first, second = relay.envelopes[-2:]
    assert first.mail_from != second.mail_from
    for envelope in (first, second):
        assert re.fullmatch(r"bounce\+\d+-[0-9a-f]{16}@net119\.test", envelope.mail_from)
        with app.app_context(), db.connection_context():
            mail = return_path.mail_of(envelope.mail_from)
            assert mail is not None and mail.to_address in envelope.rcpt_tos
            assert relay.messages_to(mail.to_address)[-1]["From"].addresses[0].addr_spec == sender_address()


@pytest.mark.both_databases
def test_a_postfix_bounce_fails_the_activation_mail_and_the_admin_sees_it(app, relay, intake, admin, caplog):  # noqa: F811
    """550 5.1.1 from the carrier days later: 届けられませんでした with the reason, on the page and in the list."""
    resident_id, _ = approved(app)
    envelope, mail_id = envelope_of_the_last_mail(relay)
    assert the_mail(mail_id).sent_at is not None
    relayed_before, stored_before = len(relay.envelopes), stored()
    with caplog.at_level(logging.INFO):
        code, text = send_to(intake, envelope.mail_from, postfix_bounce(envelope))
    assert code == 250, text
    mail = the_mail(mail_id)
    assert mail.failure == "bounced" and mail.failed_at is not None
    assert mail.sent_at is not None  # the relay did take it: that stays on record
    assert mail.last_error.startswith("Bounce: 550 5.1.1 <...@docomo.ne.jp>: Recipient address rejected")
    assert "hanako" not in mail.last_error
    [logged] = [r for r in caplog.records if f"mail #{mail_id} " in r.getMessage() and r.levelno == logging.ERROR]
    assert "not delivered" in logged.getMessage() and "hanako" not in logged.getMessage()
    page = admin.get(f"/admin/residents/{resident_id}").text
    words = text_of(page)
    assert "届けられませんでした" in words
    assert "このメールアドレスは存在しません" in words and "does not exist" in words
    assert "エラーメール" in words and "送信しました" not in words
    assert "550 5.1.1" in page
    with db.connection_context():
        login = Resident.get_by_id(resident_id).login
    assert "届けられませんでした" in residents_list_rows(admin)[login]
    # Never answered: no mail went back to the bounce's sender, nor was any stored.
    assert (len(relay.envelopes), stored()) == (relayed_before, stored_before)


def test_a_forged_tag_is_refused(app, relay, intake):  # noqa: F811
    """Only the address the outbox made names a mail: any other tag, id or domain is a 550, and the mail stays sent."""
    approved(app)
    envelope, mail_id = envelope_of_the_last_mail(relay)
    genuine = envelope.mail_from
    assert rcpt_answer(intake, genuine)[0] == 250
    tag = genuine.split("-")[1].split("@")[0]
    other_tag = ("0" if tag[0] != "0" else "1") + tag[1:]
    approved(app, email="jiro@ezweb.ne.jp")
    other_mails_tag = envelope_of_the_last_mail(relay, "jiro@ezweb.ne.jp")[0].mail_from.split("-")[1]
    for forged in (genuine.replace(tag, other_tag), f"bounce+{mail_id}-{other_mails_tag}",
                   f"bounce+{mail_id}-@net119.test", f"bounce+{'9' * 30}-{tag}@net119.test",
                   f"bounce+{mail_id}@net119.test"):
        code, text = rcpt_answer(intake, forged)
        assert code == 550, forged
        assert b"no such NET119" in text
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_to(intake, genuine.replace(tag, other_tag), postfix_bounce(envelope))
    assert the_mail(mail_id).failed_at is None


def test_a_bounced_rejection_mail_is_shown_on_the_application(app, relay, intake, admin):  # noqa: F811
    """The applicant was not told why: the application's page says so, and to tell them another way."""
    path = f"/admin/applications/{submitted()}"
    assert post(admin, path, page=path, action="reject", reason="管轄区域外のため").status_code == 303
    envelope, mail_id = envelope_of_the_last_mail(relay, "a@example.jp")
    assert send_to(intake, envelope.mail_from, postfix_bounce(envelope))[0] == 250
    page = admin.get(path).text
    words = text_of(page)
    assert "理由を知らせるメールは届けられませんでした" in words and "ほかの方法で知らせてください" in words
    assert "メールを、" not in words  # not "sent at ..." as well
    assert "550 5.1.1" in page


def test_a_delayed_report_changes_nothing(app, relay, intake, admin):  # noqa: F811
    """Action: delayed (the relay still tries): the mail is not failed, and the page says it was sent."""
    resident_id, _ = approved(app)
    envelope, mail_id = envelope_of_the_last_mail(relay)
    code, _ = send_to(intake, envelope.mail_from, postfix_bounce(
        envelope, action="delayed", status="4.4.1",
        diagnostic="X-Postfix; connect to mfsmax.docomo.ne.jp[203.0.113.5]:25: Connection timed out"))
    assert code == 250
    mail = the_mail(mail_id)
    assert mail.failed_at is None and mail.failure == "" and mail.sent_at is not None and mail.last_error == ""
    words = text_of(admin.get(f"/admin/residents/{resident_id}").text)
    assert "送信しました" in words and "届けられませんでした" not in words


def test_a_second_bounce_changes_nothing(app, relay, intake):  # noqa: F811
    approved(app)
    envelope, mail_id = envelope_of_the_last_mail(relay)
    send_to(intake, envelope.mail_from, postfix_bounce(envelope))
    first = the_mail(mail_id)
    code, _ = send_to(intake, envelope.mail_from, postfix_bounce(
        envelope, status="5.7.1", diagnostic="smtp; 554 5.7.1 Rejected by policy"))
    assert code == 250
    again = the_mail(mail_id)
    assert (again.failed_at, again.failure, again.last_error) == (first.failed_at, first.failure, first.last_error)


def test_a_bounce_of_a_mail_replaced_by_a_corrected_address_leaves_the_new_mail_alone(app, relay, intake, admin):  # noqa: F811
    """The old mail is failed on record; the page and the list show the new one, sent."""
    resident_id, _ = approved(app)
    old_envelope, old_id = envelope_of_the_last_mail(relay)
    assert correct(admin, resident_id, NEW).status_code == 303
    _, new_id = envelope_of_the_last_mail(relay, NEW)
    code, _ = send_to(intake, old_envelope.mail_from, postfix_bounce(old_envelope))
    assert code == 250
    assert the_mail(old_id).failure == "bounced"
    assert the_mail(new_id).failed_at is None and the_mail(new_id).sent_at is not None
    words = text_of(admin.get(f"/admin/residents/{resident_id}").text)
    assert "届けられませんでした" not in words and "送信しました" in words
    with db.connection_context():
        login = Resident.get_by_id(resident_id).login
    assert "届けられませんでした" not in residents_list_rows(admin)[login]


def test_a_bounce_of_a_withdrawn_mail_keeps_it_withdrawn(app, relay, intake):  # noqa: F811
    """A mail an administrator withdrew is settled: a bounce for it is taken and logged, and changes nothing."""
    approved(app)
    envelope, mail_id = envelope_of_the_last_mail(relay)
    with db.connection_context():
        OutgoingMail.update(failed_at=utcnow(), failure="withdrawn").where(OutgoingMail.id == mail_id).execute()
    before = the_mail(mail_id)
    assert send_to(intake, envelope.mail_from, postfix_bounce(envelope))[0] == 250
    after = the_mail(mail_id)
    assert (after.failure, after.failed_at, after.last_error) == ("withdrawn", before.failed_at, before.last_error)


def test_a_bounce_without_a_report_fails_the_mail_with_a_plain_reason(app, relay, intake, admin):  # noqa: F811
    """An old-style bounce (text only, as qmail writes it) to a valid bounce address: failed, the reason unknown."""
    resident_id, _ = approved(app)
    envelope, mail_id = envelope_of_the_last_mail(relay)
    qmail = (b"From: MAILER-DAEMON@mx.example.jp\r\nSubject: failure notice\r\n\r\n"
             b"Hi. This is the qmail-send program at mx.example.jp.\r\n"
             b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n")
    assert send_to(intake, envelope.mail_from, qmail)[0] == 250
    mail = the_mail(mail_id)
    assert mail.failure == "bounced" and mail.last_error == bounces.NO_REPORT
    words = text_of(admin.get(f"/admin/residents/{resident_id}").text)
    assert "届けられませんでした" in words and "受け付けられませんでした" in words


def test_an_out_of_office_reply_to_the_bounce_address_changes_nothing(app, relay, intake):  # noqa: F811
    """RFC 3834 responders answer the envelope sender: the reply shows the mail arrived, so it is not failed."""
    approved(app)
    envelope, mail_id = envelope_of_the_last_mail(relay)
    sent_before = len(relay.envelopes)
    away = (b"From: hanako.@docomo.ne.jp\r\nAuto-Submitted: auto-replied\r\n"
            b"Subject: =?UTF-8?B?5LiN5Zyo44Gn44GZ?=\r\n\r\nI am away until Monday.\r\n")
    assert send_to(intake, envelope.mail_from, away, sender="")[0] == 250
    assert the_mail(mail_id).failed_at is None
    assert len(relay.envelopes) == sent_before  # and it is not answered


@pytest.mark.parametrize("content", [
    pytest.param(b"\r\n".join([bytes(b for b in range(256) if b not in b"\r\n")] * 64), id="binary"),
    pytest.param(b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"x\r\n\r\n--x\r\n"
                 b"Content-Type: message/delivery-status\r\n\r\nAction: \xff\xfe(failed\r\nStatus: 9.9\r\n", id="broken"),
    pytest.param(b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n"
                 + b"Content-Type: text/plain\r\n\r\n" + (b"x" * 900 + b"\r\n") * 6000, id="huge"),
], ids=str)
def test_garbage_to_a_bounce_address_does_not_crash_the_intake(app, relay, intake, content):  # noqa: F811
    """Whatever comes to a valid bounce address is taken (a bounce with no reason to read); the intake goes on."""
    approved(app)
    envelope, mail_id = envelope_of_the_last_mail(relay)
    code, text = send_to(intake, envelope.mail_from, content)
    assert code == 250, text
    mail = the_mail(mail_id)
    assert mail.failure == "bounced" and mail.last_error == bounces.NO_REPORT
    assert rcpt_answer(intake, envelope.mail_from)[0] == 250  # still answering


def test_a_large_returned_mail_does_not_hide_the_report(app, relay, intake):  # noqa: F811
    """Only the start of a bounce is read, and the report comes before the returned mail, however large."""
    approved(app)
    envelope, mail_id = envelope_of_the_last_mail(relay)
    envelope.content += b"\r\n" + b"A" * 76 * 2 + (b"\r\n" + b"A" * 76) * 40_000  # about 3 MB
    assert send_to(intake, envelope.mail_from, postfix_bounce(envelope))[0] == 250
    assert the_mail(mail_id).last_error.startswith("Bounce: 550 5.1.1")


def test_reports_for_one_mail_are_limited(app, relay, intake):  # noqa: F811
    """More reports for one mail than a relay sends are refused for a while (each costs a read)."""
    approved(app)
    envelope, _ = envelope_of_the_last_mail(relay)
    for _ in range(BOUNCES_PER_MAIL[0]):
        assert send_to(intake, envelope.mail_from, b"Subject: x\r\n\r\nx\r\n")[0] == 250
    assert rcpt_answer(intake, envelope.mail_from)[0] == 450


@pytest.mark.parametrize("action, status, diagnostic, error", [
    ("failed", "5.1.1", "smtp; 550 5.1.1 <a@docomo.ne.jp>: User unknown",
     "Bounce: 550 5.1.1 <...@docomo.ne.jp>: User unknown"),
    ("failed", "5.2.2", "smtp; 552 Mailbox full", "Bounce: 552 5.2.2 Mailbox full"),
    ("failed", "5.4.4", "X-Postfix; Host or domain name not found. Name service error for name=docomo.ne.jo",
     "Bounce: 5.4.4 X-Postfix; Host or domain name not found. Name service error for name=docomo.ne.jo"),
    ("failed", "4.4.7", "", "Bounce: 4.4.7"),
    ("delayed", "4.4.1", "", None),
    ("delivered", "2.0.0", "", None),
])
def test_the_report_is_read_from_the_delivery_status(action, status, diagnostic, error):
    """Action says whether the mail failed; Status and the server's words are kept, each address's local part cut."""
    envelope = type("Envelope", (), {"rcpt_tos": ["a@docomo.ne.jp"], "mail_from": "bounce+1-0@net119.test",
                                     "content": b"Subject: x\r\n\r\nx\r\n"})
    bounce = bounces.read(postfix_bounce(envelope, action=action, status=status, diagnostic=diagnostic))
    assert bounce.failed == (error is not None)
    if error:
        assert bounce.error == error


def test_a_read_receipt_is_not_a_failure():
    """A report of another kind (RFC 8098 disposition-notification) says the mail was read: nothing failed."""
    receipt = MIMEMultipart("report", report_type="disposition-notification")
    receipt["From"] = "hanako@example.jp"
    receipt.attach(MIMEText("Your message was displayed."))
    notification = MIMEText("Final-Recipient: rfc822; hanako@example.jp\n"
                            "Disposition: manual-action/MDN-sent-manually; displayed\n")
    notification.replace_header("Content-Type", "message/disposition-notification")
    receipt.attach(notification)
    assert not bounces.read(receipt.as_bytes()).failed
