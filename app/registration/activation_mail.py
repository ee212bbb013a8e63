"""The activation mail of a resident not yet activated (SPEC §7.5): how it went, and sending it again."""
import re
from datetime import timedelta

from flask import current_app
from peewee import JOIN, fn

from ..forms import bilingual
from ..mail.outbox import GIVE_UP_AFTER, send_now, store_mail
from ..models import ActivationToken, AuditEntry, OutgoingMail, Resident, utcnow, write_transaction
from .applications import activation_link

# A double click, or two administrators at once, sends one mail; and a phone is not flooded.
RESEND_INTERVAL = timedelta(minutes=1)


class AlreadyActivated(Exception):
    """The resident has set their password: the activation link is spent for good."""


class NoAddress(Exception):
    """The resident has no mail address to send the link to."""


class SameAddress(Exception):
    """The corrected address is the one on record already."""


class SentJustNow(Exception):
    """An activation mail went to this resident less than RESEND_INTERVAL ago (and was not refused)."""

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
            .where(_activation_mail_of(resident.email, resident.created_at, resident.login))
            .order_by(OutgoingMail.id.desc())
            .first())


def with_latest_mail(residents):
    """``residents`` (a Resident query), each with ``latest_mail``: as latest_mail() gives it, for
    those not yet activated, else None. One query for the whole list, not one a resident."""
    Mail = OutgoingMail.alias("latest")
    newest = (OutgoingMail.select(fn.MAX(OutgoingMail.id))
              .where(_activation_mail_of(Resident.email, Resident.created_at, Resident.login)))
    return (residents.select_extend(Mail)
            .join(Mail, JOIN.LEFT_OUTER, on=(Resident.status == "pending") & (Mail.id == newest),
                  attr="latest_mail"))


def _activation_mail_of(email, created_at, login):
    """The activation mails of the resident with these (values, or Resident's columns in a query)."""
    return ((OutgoingMail.to_address == email) & (OutgoingMail.created_at >= created_at)
            & OutgoingMail.body.contains(login))


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
        # A mail given up never arrived: nothing can come twice, and the administrator who has just
        # had the resident mend their mail filter need not wait.
        if last is not None and last.failed_at is None and last.created_at > now - RESEND_INTERVAL:
            raise SentJustNow(last)
        mail = _new_link_mail(resident, now)
        AuditEntry.record("activation_mail_resend", staff=admin, resident=resident.login, mail=mail.id)
    send_now(mail)
    return OutgoingMail.get_by_id(mail.id)


def replace_address(resident, address, *, while_status, otherwise):
    """In a write transaction: ``address`` in place of the resident's mail address; the old one.

    The row is taken first (as a resend does), which orders the change against an activation,
    a resend or another change: the address read next is the one this change replaces. Raises
    ``otherwise`` when the resident's status is none of ``while_status``, SameAddress when
    nothing would change.
    """
    taken = (Resident.update(status=Resident.status)
             .where((Resident.id == resident.id) & Resident.status.in_(while_status)).execute())
    if not taken:
        raise otherwise
    old = Resident.select(Resident.email).where(Resident.id == resident.id).scalar()
    if old == address:
        raise SameAddress
    Resident.update(email=address).where(Resident.id == resident.id).execute()
    return old


def correct_address(admin, resident, address):
    """Put ``address`` (normalised) in place of the resident's mail address, and mail the new link there.

    Only before activation: the address is where the activation link goes (nothing else reads it:
    login is by login ID, and the mail intake answers any sender). Every older link stops working,
    and an activation mail to the old address still being retried is withdrawn: a mistyped address
    may be a stranger's, who should not get the login ID later. Returns the new mail; raises
    AlreadyActivated once the password is set, SameAddress when nothing would change.
    """
    with write_transaction():
        old = replace_address(resident, address, while_status=("pending",), otherwise=AlreadyActivated)
        now = utcnow()
        (OutgoingMail.update(failed_at=now, failure="withdrawn")
         .where(_activation_mail_of(old, resident.created_at, resident.login)
                & OutgoingMail.sent_at.is_null() & OutgoingMail.failed_at.is_null())
         .execute())
        resident.email = address
        mail = _new_link_mail(resident, now)
        AuditEntry.record("resident_email_change", staff=admin, resident=resident.login, old=old, new=address,
                          mail=mail.id)
    send_now(mail)
    return OutgoingMail.get_by_id(mail.id)


def _new_link_mail(resident, now):
    """Expire the resident's unused links and store the mail with a new one; inside the caller's transaction."""
    # Two valid links are never around: the one in the lost (or late) mail stops here.
    (ActivationToken.update(expires_at=now)
     .where((ActivationToken.resident == resident) & ActivationToken.used_at.is_null()
            & (ActivationToken.expires_at > now))
     .execute())
    return store_mail(resident.email, "activation_again", hq=resident.hq, resident=resident,
                      link=activation_link(resident), days=current_app.config["ACTIVATION_LINK_MAX_AGE"].days)


# The relay's reply in a mail's last_error ("SMTPRecipientsRefused: 550 5.1.1 ..."): the
# code, and the enhanced status code (RFC 3463) that says what was wrong, when the relay gave one.
REPLY = re.compile(r": (?P<code>[2-5]\d\d)(?: (?P<status>[245])\.(?P<subject>\d{1,3})\.(?P<detail>\d{1,3}))?")


def failure_in_words(mail):
    """Why a given-up mail was not delivered, in plain words for the administrator (Japanese, then English)."""
    if mail.failure == "gave_up":
        return bilingual(f"{GIVE_UP_AFTER.days}日間送り直しても、メールサーバーに渡せませんでした。"
                         f"最後は：{error_in_words(mail.last_error)}",
                         f"The mail server could not be given the mail in {GIVE_UP_AFTER.days} days of trying.")
    kind = mail.last_error.partition(":")[0]
    reply = REPLY.search(mail.last_error)
    subject, detail = (reply["subject"], reply["detail"]) if reply and reply["status"] else (None, None)
    if subject == "7":
        return bilingual("相手の携帯電話会社（メール会社）が、迷惑メール対策などの設定でこのメールの受け取りを断りました。"
                         "本人に、送信元のドメインからのメールの受信を許可してもらってから、送り直してください。",
                         "The recipient's mail provider refused the mail (a spam filter or a similar setting). "
                         "Ask the resident to allow mail from our domain, then send it again.")
    if kind == "SMTPSenderRefused":
        return bilingual("このシステムの送信元のアドレスが、メールサーバーに断られました。システム担当者に連絡してください。",
                         "The mail server refused this system's sender address: tell whoever looks after the system.")
    if kind == "SMTPDataError":
        return bilingual("メールの中身が、メールサーバーに受け付けられませんでした。システム担当者に連絡してください。",
                         "The mail server refused the mail's content: tell whoever looks after the system.")
    if (subject, detail) == ("1", "1"):
        return bilingual("このメールアドレスは存在しません（相手のメール会社がそう答えました）。"
                         "アドレスに誤りがないか、本人に確かめてください。",
                         "The address does not exist (the recipient's mail provider said so). "
                         "Check the address with the resident.")
    if (subject, detail) == ("1", "2"):
        return bilingual("メールアドレスの@より後ろ（ドメイン）が存在しません。アドレスに誤りがないか、本人に確かめてください。",
                         "The part of the address after the @ (the domain) does not exist. "
                         "Check the address with the resident.")
    if (subject, detail) == ("2", "1"):
        return bilingual("このメールアドレスは、受け取りが止められています（使われていないアドレスです）。",
                         "The address no longer takes mail (it is not in use).")
    if (subject, detail) == ("2", "2") or (reply and reply["code"] == "552"):
        return bilingual("相手のメールボックスがいっぱいで、受け取れませんでした。"
                         "本人にメールを整理してもらってから、送り直してください。",
                         "The resident's mailbox is full. Ask them to make room, then send it again.")
    return bilingual("宛先のメールアドレスが受け付けられませんでした。アドレスの誤りか、相手のメール会社が受け取りを断っています。",
                     "The address was refused: it is wrong, or the recipient's mail provider refuses the mail.")


def error_in_words(last_error):
    """What a relay's error means, in plain Japanese, for the administrator."""
    kind = last_error.partition(":")[0]
    reply = REPLY.search(last_error)
    if kind == "SMTPRecipientsRefused" and reply and reply["code"] in ("452", "552"):
        return "相手のメールボックスがいっぱいか、一度に受け取れる量を超えています。"
    if kind == "SMTPRecipientsRefused":
        return "宛先のメールアドレスが受け付けられませんでした。アドレスの誤りか、相手のメール会社が受け取りを断っています。"
    if kind in ("TimeoutError", "socket.timeout", "SMTPServerDisconnected"):
        return "メールサーバーが途中で応答しなくなりました。"
    if kind in ("ConnectionRefusedError", "ConnectionResetError", "gaierror", "OSError", "ConnectionError"):
        return "メールサーバーにつながりません。"
    return "メールサーバーがメールを受け付けませんでした。"
