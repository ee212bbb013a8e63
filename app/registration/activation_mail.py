"""The activation mail of a resident not yet activated (SPEC §7.5): how it went, and sending it again."""
from datetime import timedelta

from flask import current_app

from ..mail.outbox import send_now, store_mail
from ..models import ActivationToken, AuditEntry, OutgoingMail, Resident, utcnow, write_transaction
from .applications import activation_link

# A double click, or two administrators at once, sends one mail; and a phone is not flooded.
RESEND_INTERVAL = timedelta(minutes=1)


class AlreadyActivated(Exception):
    """The resident has set their password: the activation link is spent for good."""


class NoAddress(Exception):
    """The resident has no mail address to send the link to."""


class SentJustNow(Exception):
    """An activation mail went to this resident less than RESEND_INTERVAL ago."""

    def __init__(self, mail):
        super().__init__(mail.id)
        self.mail = mail


def latest_mail(resident):
    """The last activation mail stored for ``resident`` (approval or resend), or None.

    Nothing in the outbox names the resident, but every activation mail, and no other mail,
    carries the resident's login ID, which is made at approval and never reused; mails to the
    same address from before the approval (the application link) come before the resident.
    """
    return (OutgoingMail.select()
            .where((OutgoingMail.to_address == resident.email)
                   & (OutgoingMail.created_at >= resident.created_at)
                   & OutgoingMail.body.contains(resident.login))
            .order_by(OutgoingMail.id.desc())
            .first())


def current_link(resident):
    """The resident's newest activation token (the link of the latest mail), or None."""
    return (ActivationToken.select().where(ActivationToken.resident == resident)
            .order_by(ActivationToken.id.desc()).first())


def resend(admin, resident):
    """Mail ``resident`` a new activation link; every older link stops working. Returns the mail.

    Raises AlreadyActivated once the password is set, NoAddress when there is nowhere to send
    it, and SentJustNow within RESEND_INTERVAL of the last activation mail.
    """
    with write_transaction():
        # Taking the resident's row (a no-op write) orders this against an activation and against
        # a second resend on PostgreSQL too: each then sees what the other did.
        still_pending = (Resident.update(status="pending")
                         .where((Resident.id == resident.id) & (Resident.status == "pending")).execute())
        if not still_pending:
            raise AlreadyActivated
        if not resident.email:
            raise NoAddress
        last = latest_mail(resident)
        now = utcnow()
        if last is not None and last.created_at > now - RESEND_INTERVAL:
            raise SentJustNow(last)
        # Two valid links are never around: the one in the lost (or late) mail stops here.
        (ActivationToken.update(expires_at=now)
         .where((ActivationToken.resident == resident) & ActivationToken.used_at.is_null()
                & (ActivationToken.expires_at > now))
         .execute())
        link = activation_link(resident)
        mail = store_mail(resident.email, "activation_again", hq=resident.hq, resident=resident, link=link,
                          days=current_app.config["ACTIVATION_LINK_MAX_AGE"].days)
        AuditEntry.record("activation_mail_resend", staff=admin, resident=resident.login, mail=mail.id)
    send_now(mail)
    return OutgoingMail.get_by_id(mail.id)


def error_in_words(last_error):
    """What a relay's error means, in plain Japanese, for the administrator."""
    kind = last_error.partition(":")[0]
    if kind == "SMTPRecipientsRefused":
        return "宛先のメールアドレスが受け付けられませんでした。アドレスの誤りか、相手のメール会社が受け取りを断っています。"
    if kind in ("TimeoutError", "socket.timeout", "SMTPServerDisconnected"):
        return "メールサーバーが途中で応答しなくなりました。"
    if kind in ("ConnectionRefusedError", "ConnectionResetError", "gaierror", "OSError", "ConnectionError"):
        return "メールサーバーにつながりません。"
    return "メールサーバーがメールを受け付けませんでした。"
