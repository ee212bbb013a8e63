"""Outgoing mail: stored in the outbox first, then handed to the SMTP relay, retried until it takes it."""
import ipaddress
import logging
import smtplib
from datetime import timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import urlsplit

from flask import current_app, render_template

from ..models import OutgoingMail, utcnow
from .addresses import on_the_wire

# After the n-th failed attempt, wait RETRY_DELAYS[n-1] (the last one repeats).
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
                timedelta(hours=1), timedelta(hours=6))
SMTP_TIMEOUT_SECONDS = 10
log = logging.getLogger(__name__)
# An attempt owns its mail this long (its next_attempt_at moves on), so another sender (a second
# `net119 outbox`, a cron round overlapping the last) leaves it alone. It is well beyond the
# handful of SMTP steps of SMTP_TIMEOUT_SECONDS each; a process that dies mid-attempt has its
# mail tried again when the lease ends.
ATTEMPT_LEASE = timedelta(minutes=5)


def send_mail(to, template, **context):
    """Store the mail rendered from ``templates/mail/<template>.txt`` and try to send it now.

    The template's first line is the subject. The mail is in the outbox before
    any attempt, so a relay that is down loses nothing.
    """
    mail = store_mail(to, template, **context)
    send_now(mail)
    return mail


def store_mail(to, template, **context):
    """Put the mail in the outbox only; inside the caller's transaction, it is kept or undone with it.

    Give it to send_now once the transaction is committed.
    """
    subject, _, body = render_template(f"mail/{template}.txt", **context).partition("\n")
    now = utcnow()
    # When there is a relay, send_now's attempt owns the mail first.
    return OutgoingMail.create(to_address=to, subject=subject.strip(), body=body.lstrip("\n"),
                               next_attempt_at=now + ATTEMPT_LEASE if current_app.config["MAIL_RELAY"] else now)


def send_now(mail):
    """The first attempt at a mail store_mail has just stored (none without a relay)."""
    if current_app.config["MAIL_RELAY"]:
        _attempt(mail, utcnow())


def deliver_due(now=None):
    """Try every unsent mail whose retry time has come; return how many were sent."""
    now = now or utcnow()
    due = list(OutgoingMail.select()
               .where(OutgoingMail.sent_at.is_null() & (OutgoingMail.next_attempt_at <= now))
               .order_by(OutgoingMail.id))
    sent = 0
    for mail in due:
        mail = _claim(mail, now)
        if mail is None:
            continue
        error = _attempt(mail, now)
        if isinstance(error, OSError):
            # The relay cannot be reached: the rest stay due for the next round, rather than each
            # waiting out its own timeout now (a hung relay would make the round last hours).
            break
        sent += error is None
    return sent


def deliver(mail, now=None):
    """Hand one due mail to the relay, unless it is sent or another attempt owns it. True if sent."""
    now = now or utcnow()
    mail = _claim(mail, now)
    return mail is not None and _attempt(mail, now) is None


def _claim(mail, now):
    """The mail, fresh, now owned by this attempt; None if it is sent or another attempt owns it."""
    # The lease runs from the real time: a long round's last mails are owned as long as its first.
    lease_end = max(now, utcnow()) + ATTEMPT_LEASE
    claimed = (OutgoingMail.update(next_attempt_at=lease_end)
               .where((OutgoingMail.id == mail.id) & OutgoingMail.sent_at.is_null()
                      & (OutgoingMail.next_attempt_at <= now))
               .execute())
    return OutgoingMail.get_by_id(mail.id) if claimed else None


def _attempt(mail, now):
    """One attempt at a mail this process owns; record how it went. None if sent, else the error."""
    try:
        _relay(_message(mail), on_the_wire(mail.to_address))
    except (OSError, smtplib.SMTPException) as error:
        delay = RETRY_DELAYS[min(mail.attempts, len(RETRY_DELAYS) - 1)]
        mail.attempts += 1
        mail.last_error = f"{type(error).__name__}: {error}"[:1000]
        mail.next_attempt_at = max(now, utcnow()) + delay
        mail.save(only=[OutgoingMail.attempts, OutgoingMail.last_error, OutgoingMail.next_attempt_at])
        # The operator's only sign that a resident is waiting for a mail; the domain, not the person.
        log.warning("outbox: mail #%s to an address at %s not sent (attempt %d): %s; next try at %s UTC",
                    mail.id, mail.to_address.rpartition("@")[2], mail.attempts, mail.last_error,
                    mail.next_attempt_at.isoformat(timespec="seconds"))
        return error
    mail.attempts += 1
    mail.sent_at = now
    mail.last_error = ""
    mail.save(only=[OutgoingMail.attempts, OutgoingMail.sent_at, OutgoingMail.last_error])
    return None


def settings_warnings(config):
    """What in the mail settings would make real mail useless to a resident (only with a relay)."""
    if not config["MAIL_RELAY"]:
        return []
    warnings = []
    if _not_public(urlsplit(config["PUBLIC_URL"]).hostname or ""):
        warnings.append(f"PUBLIC_URL is {config['PUBLIC_URL']}: the links mailed to residents point at a "
                        "machine their phones cannot reach; set NET119_PUBLIC_URL to the site's public address")
    if _not_public(config["MAIL_DOMAIN"]):
        warnings.append(f"MAIL_DOMAIN is {config['MAIL_DOMAIN']}: mail comes from an address no carrier's "
                        "filter can be told to allow; set NET119_MAIL_DOMAIN to the service's mail domain")
    return warnings


def _not_public(host):
    host = host.strip("[]").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        # Names that are never on the internet (RFC 2606, RFC 6761).
        return host == "localhost" or host.endswith((".localhost", ".test", ".invalid", ".example"))
    return address.is_loopback or address.is_unspecified or address.is_link_local


def sender_address():
    """The address mail comes from: what applicants allow in their phone's mail filter."""
    return parseaddr(current_app.config["MAIL_FROM"] or "")[1] or f"no-reply@{current_app.config['MAIL_DOMAIN']}"


def _message(mail):
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"] or f"NET119 <{sender_address()}>"
    message["To"] = on_the_wire(mail.to_address)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at.replace(tzinfo=timezone.utc))
    # The same id on every attempt (make_msgid's is new each time): a relay that took a mail whose
    # answer was lost, or the phone, can drop the copy. The creation time keeps it unique when a
    # database is made afresh and the ids start again.
    message["Message-ID"] = f"<{mail.created_at:%Y%m%d%H%M%S%f}.{mail.id}.outbox@{config['MAIL_DOMAIN']}>"
    # RFC 3834: an out-of-office responder on the resident's side must not answer us.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body)
    return message


def _relay(message, recipient):
    host, _, port = current_app.config["MAIL_RELAY"].rpartition(":")
    with smtplib.SMTP(host, int(port), timeout=SMTP_TIMEOUT_SECONDS) as relay:
        # The recipient is given, not read back from the To header: that loses the quotes of "foo."@….
        relay.send_message(message, from_addr=sender_address(), to_addrs=[recipient])
