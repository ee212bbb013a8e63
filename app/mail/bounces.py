"""Bounces: a relay took a mail, then reported (RFC 3464) that it could not deliver it; the mail is failed."""
import logging
import re
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser, Parser
from email.policy import compat32
from email.utils import collapse_rfc2231_value, parseaddr

from ..models import OutgoingMail, utcnow
from .outbox import without_addresses

# The report comes second in a bounce, after a few lines for people and before the returned
# mail (RFC 3464 §2); that mail may be large, so only the start of a bounce is read.
READ_LIMIT = 256 * 1024
# What the administrator's page shows when the bounce has no report to read the reason from.
NO_REPORT = "Bounce: no delivery report in it"
_STATUS = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")
# "550 5.1.1 <...>: User unknown", "550-5.1.1 ...", or "550 User unknown" (no enhanced code).
_SMTP_REPLY = re.compile(r"(?P<code>[2-5]\d\d)(?:[ -](?P<status>[245]\.\d{1,3}\.\d{1,3}))?\s*(?P<words>.*)", re.S)
_REPORT_PARTS = ("message/delivery-status", "message/global-delivery-status")
_DELIVERY_REPORTS = ("delivery-status", "global-delivery-status")
# RFC 3464 §2.3.3: the actions that say the mail is still on its way, or arrived. Any other
# word (a failure, or an Action garbled on the way) is taken as a failure: an administrator
# wrongly told a mail did not arrive sends it again; one wrongly told it did leaves a resident waiting.
_NOT_FAILED = ("delayed", "delivered", "relayed", "expanded")
_DAEMONS = ("mailer-daemon", "postmaster")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bounce:
    """What a mail to a bounce address says about the mail it names."""

    # RFC 3464's Action ("failed", "delayed", "delivered", "relayed", "expanded"); "failed" for a
    # bounce with no report in it; "none" for mail that is no bounce (an out-of-office reply).
    action: str
    # The mail server's words for the record ("Bounce: 550 5.1.1 ...@docomo.ne.jp: User unknown").
    error: str
    # Why it is or is not a failure, for the log.
    what: str

    @property
    def failed(self):
        """Whether the mail was not delivered and will not be."""
        return self.action not in _NOT_FAILED + ("none",)


def read(content):
    """What the bytes that came to a bounce address say; never raises, whatever the bytes are."""
    try:
        message = BytesParser(policy=compat32).parsebytes(content[:READ_LIMIT])
        return _bounce_in(message)
    except Exception as error:  # noqa: BLE001
        # The bytes are anyone's: whatever the parser makes of them, the intake must answer. It
        # came to a valid bounce address, so it is a bounce whose reason cannot be read.
        log.warning("mail intake: a bounce could not be read (%s: %s)", type(error).__name__, error)
        return Bounce("failed", NO_REPORT, "unreadable bounce")


def record(mail, bounce, now=None):
    """Fail ``mail`` (an OutgoingMail) as the bounce says; True if this changed it.

    Only a mail not failed already is changed: a second bounce of one mail, or a bounce of a
    mail the outbox or an administrator has settled (given up, withdrawn), leaves it as it is.
    A mail replaced by a later one (sent again, or to a corrected address) is failed itself,
    and the later one keeps its own state.
    """
    domain = mail.to_address.rpartition("@")[2]
    if not bounce.failed:
        log.info("mail intake: %s for mail #%s to an address at %s; nothing changed", bounce.what, mail.id, domain)
        return False
    changed = (OutgoingMail.update(failed_at=now or utcnow(), failure="bounced", last_error=bounce.error[:1000])
               .where((OutgoingMail.id == mail.id) & OutgoingMail.failed_at.is_null())
               .execute())
    if changed:
        # As the outbox says a refusal: the operator's sign that a resident waits for a mail.
        log.error("outbox: mail #%s to an address at %s not delivered, not tried again "
                  "(bounced after the relay took it, %s): %s", mail.id, domain, bounce.what, bounce.error)
    else:
        log.info("mail intake: %s for mail #%s to an address at %s, failed already (%s); nothing changed",
                 bounce.what, mail.id, domain, mail.failure)
    return bool(changed)


def _bounce_in(message):
    for part in message.walk():
        if part.get_content_type() in _REPORT_PARTS:
            return _delivery_status(part)
    kind = _report_type(message)
    if kind and kind not in _DELIVERY_REPORTS:
        # A read receipt (disposition-notification) or a spam complaint: the mail arrived.
        return Bounce("none", "", f"a report of another kind ({kind})")
    if _answered_by_a_responder(message):
        return Bounce("none", "", "an automatic reply")
    return Bounce("failed", NO_REPORT, "a bounce without a delivery report")


def _delivery_status(part):
    blocks = part.get_payload()
    if isinstance(blocks, str):
        # message/global-delivery-status (RFC 6533), which the parser leaves as text: the same blocks.
        blocks = [Parser(policy=compat32).parsestr(block.strip() + "\n")
                  for block in re.split(r"\r?\n[ \t]*\r?\n", blocks) if block.strip()]
    recipients = [block for block in blocks if isinstance(block, Message) and _field(block, "Action")]
    if not recipients:
        return Bounce("failed", NO_REPORT, "a delivery report that names no recipient")
    # One recipient a mail; should a report list more, a failure is what must not be missed.
    recipient = next((r for r in recipients if _action(r) not in _NOT_FAILED), recipients[0])
    action = _action(recipient)
    status = _STATUS.search(_field(recipient, "Status"))
    status = status.group(0) if status else ""
    return Bounce(action, _error(status, _field(recipient, "Diagnostic-Code")),
                  f"a delivery report (Action: {action or '?'}, Status: {status or '?'})")


def _error(status, diagnostic):
    """The record of a failure in the form of the outbox's: "Bounce: <SMTP code> <status> <words>"."""
    kind, _, words = diagnostic.partition(";")
    reply = _SMTP_REPLY.fullmatch(words.strip()) if kind.strip().lower() == "smtp" else None
    if reply:
        # The report's Status goes where the reply's enhanced code stands (or would, when the
        # remote server gave none): the administrator's page reads the reason from it.
        text = f"{reply['code']} {status or reply['status'] or ''} {reply['words']}"
    else:
        text = f"{status} {diagnostic}"
    text = without_addresses(text)
    return f"Bounce: {text}" if text else NO_REPORT


def _report_type(message):
    if message.get_content_type() != "multipart/report":
        return ""
    return collapse_rfc2231_value(message.get_param("report-type", "")).strip().lower()


def _action(block):
    return _field(block, "Action").split("(")[0].strip().lower()


def _answered_by_a_responder(message):
    """An out-of-office reply (RFC 3834 sends it to the envelope sender): it shows the mail arrived."""
    sender = parseaddr(_field(message, "From"))[1].partition("@")[0].lower()
    if sender in _DAEMONS:
        return False
    auto_submitted = _field(message, "Auto-Submitted").split(";")[0].split("(")[0].strip().lower()
    return auto_submitted == "auto-replied" or "X-Autoreply" in message or "X-Autorespond" in message


def _field(block, name):
    """A header's value on one line; bytes that are not ASCII become replacement characters."""
    value = block.get(name, "")
    text = value if isinstance(value, str) else str(value)
    return " ".join(text.encode("utf-8", "replace").decode("utf-8").split())
