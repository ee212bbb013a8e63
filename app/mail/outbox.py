"""Outgoing mail: stored in the outbox first, then handed to the SMTP relay, retried until it is taken or given up."""
import ipaddress
import logging
import re
import smtplib
from datetime import timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import urlsplit

from flask import current_app, render_template

from ..models import OutgoingMail, utcnow
from .addresses import on_the_wire
from .return_path import bounce_address

# After the n-th failed attempt, wait RETRY_DELAYS[n-1] (the last one repeats).
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
                timedelta(hours=1), timedelta(hours=6))
# A mail the relay could not take (down, or answering 4xx) this long after it was written is given
# up. MTAs bounce after days (RFC 5321 §4.5.4.1 asks for at least 4-5 for the whole internet); ours
# are shorter because someone is waiting on each: the resident's activation link lasts
# ACTIVATION_LINK_MAX_AGE (7 days), and an administrator told on day 3 that the mail did not go still
# has most of that week to reach the resident and send it again. Three days also outlast a relay
# down over a long weekend, so an outage of our own does not fail every mail written in it.
GIVE_UP_AFTER = timedelta(days=3)
SMTP_TIMEOUT_SECONDS = 10
log = logging.getLogger(__name__)
# An attempt owns its mail this long (its next_attempt_at moves on), so another sender (a second
# `net119 outbox`, a cron round overlapping the last) leaves it alone. It is well beyond the
# handful of SMTP steps of SMTP_TIMEOUT_SECONDS each; a process that dies mid-attempt has its
# mail tried again when the lease ends.
ATTEMPT_LEASE = timedelta(minutes=5)
# An address in a relay's reply, up to its @: the records and logs keep the domain only.
_ADDRESS_PART = re.compile(r"[^\s<>()\[\],;:]+@")


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


def deliver_due(now=None, given_up=None):
    """Try every waiting mail whose retry time has come; return how many were sent.

    The mails given up in this round (refused for good, or past GIVE_UP_AFTER) are appended to
    the list ``given_up``, when one is passed.
    """
    now = now or utcnow()
    due = list(OutgoingMail.select()
               .where(OutgoingMail.sent_at.is_null() & OutgoingMail.failed_at.is_null()
                      & (OutgoingMail.next_attempt_at <= now))
               .order_by(OutgoingMail.id))
    sent = 0
    for mail in due:
        mail = _claim(mail, now)
        if mail is None:
            continue
        error = _attempt(mail, now)
        if error is not None and mail.failed_at and given_up is not None:
            given_up.append(mail)
        if isinstance(error, OSError):
            # The relay cannot be reached: the rest stay due for the next round, rather than each
            # waiting out its own timeout now (a hung relay would make the round last hours).
            break
        sent += error is None
    return sent


def first_to(address, since):
    """The first mail stored for ``address`` at or after ``since`` (the one a decision made then wrote), or None."""
    return (OutgoingMail.select().where((OutgoingMail.to_address == address) & (OutgoingMail.created_at >= since))
            .order_by(OutgoingMail.id).first())


def deliver(mail, now=None):
    """Hand one due mail to the relay, unless it is sent, given up or owned by another attempt. True if sent."""
    now = now or utcnow()
    mail = _claim(mail, now)
    return mail is not None and _attempt(mail, now) is None


def _claim(mail, now):
    """The mail, fresh, now owned by this attempt; None if it is sent, given up, or another attempt owns it."""
    # The lease runs from the real time: a long round's last mails are owned as long as its first.
    lease_end = max(now, utcnow()) + ATTEMPT_LEASE
    claimed = (OutgoingMail.update(next_attempt_at=lease_end)
               .where((OutgoingMail.id == mail.id) & OutgoingMail.sent_at.is_null()
                      & OutgoingMail.failed_at.is_null() & (OutgoingMail.next_attempt_at <= now))
               .execute())
    return OutgoingMail.get_by_id(mail.id) if claimed else None


def _attempt(mail, now):
    """One attempt at a mail this process owns; record how it went. None if sent, else the error."""
    try:
        _relay(_message(mail), on_the_wire(mail.to_address), bounce_address(mail))
    except (OSError, smtplib.SMTPException) as error:
        _record_failure(mail, error, max(now, utcnow()))
        return error
    mail.attempts += 1
    mail.sent_at = now
    mail.last_error = ""
    mail.save(only=[OutgoingMail.attempts, OutgoingMail.sent_at, OutgoingMail.last_error])
    return None


def _record_failure(mail, error, now):
    """Note a failed attempt: the mail is tried again on the schedule, or given up for good."""
    mail.attempts += 1
    mail.last_error = describe(error)[:1000]
    deadline = mail.created_at + GIVE_UP_AFTER
    if refused_for_good(error):
        mail.failed_at, mail.failure = now, "refused"
    elif now >= deadline:
        mail.failed_at, mail.failure = now, "gave_up"
    else:
        # The last try falls on the deadline, not up to a 6-hour step past it.
        mail.next_attempt_at = min(now + RETRY_DELAYS[min(mail.attempts - 1, len(RETRY_DELAYS) - 1)], deadline)
    mail.save(only=[OutgoingMail.attempts, OutgoingMail.last_error, OutgoingMail.next_attempt_at,
                    OutgoingMail.failed_at, OutgoingMail.failure])
    # The operator's only sign that a resident is waiting for a mail; the domain, not the person.
    domain = mail.to_address.rpartition("@")[2]
    if mail.failed_at:
        why = "refused by the relay" if mail.failure == "refused" else f"given up after {GIVE_UP_AFTER.days} days"
        log.error("outbox: mail #%s to an address at %s not delivered, not tried again (%s, attempt %d): %s",
                  mail.id, domain, why, mail.attempts, mail.last_error)
    else:
        log.warning("outbox: mail #%s to an address at %s not sent (attempt %d): %s; next try at %s UTC",
                    mail.id, domain, mail.attempts, mail.last_error,
                    mail.next_attempt_at.isoformat(timespec="seconds"))


def refused_for_good(error):
    """Whether the relay refused the mail itself with a permanent (5xx) reply: trying again cannot help.

    Only the replies about this mail count: to MAIL (its sender), RCPT (its address) and DATA
    (its content). A 5xx to the greeting, HELO or a login is the relay refusing us, every mail
    alike: the operator mends that, and the mail goes then (or is given up after GIVE_UP_AFTER).
    A 552 to RCPT (too many recipients, the mailbox full) is temporary, as RFC 5321 §4.5.3.1.10
    asks: it is taken as a 452, and the resident who makes room gets the mail on a later try.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 and code != 552 for code, _ in error.recipients.values())
    if isinstance(error, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        return error.smtp_code >= 500
    return False


def describe(error):
    """The error for the record: its kind and the relay's reply ("SMTPDataError: 554 5.7.1 ..."), no address."""
    kind = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # One recipient a mail; the dict's repr would repeat the resident's address into the logs.
        code, reply = next(iter(error.recipients.values()), (0, b""))
        return f"{kind}: {code} {without_addresses(reply)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{kind}: {error.smtp_code} {without_addresses(error.smtp_error)}"
    return f"{kind}: {error}"


def without_addresses(reply):
    """A mail server's words on one line, each address cut to its domain ("<...@docomo.ne.jp>: User unknown")."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    # Relays often quote the address back ("<hanako@...>: User unknown").
    return _ADDRESS_PART.sub("...@", " ".join(text.split()))


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


def _relay(message, recipient, envelope_sender):
    host, _, port = current_app.config["MAIL_RELAY"].rpartition(":")
    with smtplib.SMTP(host, int(port), timeout=SMTP_TIMEOUT_SECONDS) as relay:
        # The recipient is given, not read back from the To header: that loses the quotes of "foo."@….
        # The envelope sender names this mail, so a bounce that comes days later fails it (return_path.py).
        relay.send_message(message, from_addr=envelope_sender, to_addrs=[recipient])
