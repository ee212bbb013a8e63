"""The mail intake: an empty mail to r.<hq-code>@MAIL_DOMAIN is answered with that HQ's application link."""
import asyncio
import logging
from email.parser import BytesHeaderParser
from email.policy import compat32

from aiosmtpd.controller import Controller

from ..extensions import db
from ..models import Headquarters
from ..registration.links import external_url, send_application_link
from . import bounces, return_path
from .addresses import InvalidAddress, mailbox, normalise
from .limits import RateLimit

RECIPIENT_PREFIX = "r."
# A mail bounces once, or a few times with "delayed" first: more is someone sending to the
# bounce address of a mail they received, and each one costs a read of up to bounces.READ_LIMIT.
BOUNCES_PER_MAIL = (10, 3600)
log = logging.getLogger(__name__)
# RFC 3834 §2: what a machine sent is not answered, or two machines answer each other for ever.
_MACHINE_PRECEDENCE = {"bulk", "junk", "list"}
_MACHINE_HEADERS = ("X-Autoreply", "X-Autorespond")


class IntakeHandler:
    """aiosmtpd handler: refuses unknown recipients at RCPT, replies to the sender at DATA.

    Bounces of the mail we sent come here too, to each mail's bounce address (return_path.py):
    they fail the mail, and are never answered.
    """

    def __init__(self, app):
        self.app = app
        self.domain = app.config["MAIL_DOMAIN"].lower()
        self.per_sender = RateLimit(*app.config["INTAKE_LIMIT_PER_SENDER"])
        self.per_hq = RateLimit(*app.config["INTAKE_LIMIT_PER_HQ"])
        self.per_bounced_mail = RateLimit(*BOUNCES_PER_MAIL)
        # In full: a refusal reaches the applicant as a bounce on their phone, far from this site.
        with app.app_context():
            self.web_form = external_url("registration.request_link")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        """Accept r.<hq-code>@MAIL_DOMAIN of an HQ that uses the service, within the limits, and bounce addresses."""
        if return_path.looks_like_a_bounce_address(address, self.domain):
            return self._bounce_recipient(envelope, address)
        hq_code = self._hq_code(address)
        with self.app.app_context(), db.connection_context():
            hq = hq_code and Headquarters.get_or_none(
                (Headquarters.code == hq_code) & (Headquarters.uses_service == True))  # noqa: E712
        if hq is None:
            return (f"550 5.1.1 <{address}>: no such NET119 address; "
                    f"write to r.<HQ code>@{self.domain} or apply on the web at {self.web_form}")
        if hq.code in (self._hq_code(accepted) for accepted in envelope.rcpt_tos):
            return "250 OK"  # named twice (To and Cc): one request, one link
        if not self.per_sender.allow(_sender_mailbox(envelope.mail_from)):
            return "450 4.7.1 Too many application requests from this address; try again in an hour"
        if not self.per_hq.allow(hq.code):
            return "450 4.7.1 Too many application requests for this HQ; try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        """Fail the mail a bounce names; mail the application link of every accepted HQ to the sender."""
        bounced = [a for a in envelope.rcpt_tos if return_path.looks_like_a_bounce_address(a, self.domain)]
        hq_addresses = [a for a in envelope.rcpt_tos if a not in bounced]
        loop = asyncio.get_running_loop()
        if bounced:
            # Off the event loop, as the reply below: reading a bounce and writing the database take time.
            await loop.run_in_executor(None, self._take_bounce, bounced, envelope.original_content or b"")
            if not hq_addresses:
                return "250 OK: delivery report taken"
        if _sent_by_a_machine(envelope):
            # Taken, not refused: a refusal is one more bounce, and the loop goes on.
            return "250 OK: automatic mail is not answered"
        try:
            sender = normalise(envelope.mail_from)
        except InvalidAddress:
            return f"550 5.1.7 The sender address cannot receive mail; apply on the web at {self.web_form}"
        # Off the event loop: handing the reply to a slow relay must not stall other senders.
        await loop.run_in_executor(None, self._reply, sender, hq_addresses)
        return "250 OK: the application link is on its way to you"

    async def handle_exception(self, error):
        """A fault of ours (the database away, say) is temporary: the sender's server tries again."""
        # aiosmtpd's own answer is "500 Error: <the exception>": a bounce, and our internals shown.
        log.error("mail intake: %s: %s", type(error).__name__, error, exc_info=error)
        return "451 4.3.0 Temporary failure at NET119; please try again later"

    def _bounce_recipient(self, envelope, address):
        """RCPT to a bounce address: accepted only with the right tag, and within the per-mail limit."""
        with self.app.app_context(), db.connection_context():
            mail = return_path.mail_of(address)
        if mail is None:
            # The tag is a keyed hash of the mail: a wrong one is a forgery, or a mail of a database
            # (or a secret key) that is no more. Either way no mail of ours is named.
            return f"550 5.1.1 <{address}>: no such NET119 bounce address"
        if address in envelope.rcpt_tos:
            return "250 OK"
        if not self.per_bounced_mail.allow(mail.id):
            return "450 4.7.1 Too many reports for this mail; try again in an hour"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def _take_bounce(self, addresses, content):
        bounce = bounces.read(content)
        with self.app.app_context(), db.connection_context():
            for address in addresses:
                mail = return_path.mail_of(address)
                if mail is not None:  # accepted at RCPT: it is still there
                    bounces.record(mail, bounce)

    def _reply(self, sender, recipients):
        with self.app.app_context(), db.connection_context():
            for address in recipients:
                hq = Headquarters.get(Headquarters.code == self._hq_code(address))
                send_application_link(hq, sender)

    def _hq_code(self, address):
        local, _, domain = address.rpartition("@")
        if domain.lower() != self.domain or not local.lower().startswith(RECIPIENT_PREFIX):
            return None
        return local[len(RECIPIENT_PREFIX):].lower() or None


def _sender_mailbox(sender):
    """What the per-sender limit counts: the mailbox, however the address is spelt (+tags, case)."""
    try:
        return mailbox(normalise(sender))
    except InvalidAddress:
        return (sender or "").lower()


def _sent_by_a_machine(envelope):
    """True for bounces (a null sender: aiosmtpd keeps it as "<>"), auto-replies and bulk mail."""
    sender = envelope.mail_from or ""
    if sender in ("", "<>") or sender.partition("@")[0].strip('"').lower() == "mailer-daemon":
        return True
    # compat32 takes any bytes (Shift_JIS headers from old phones included) without raising.
    headers = BytesHeaderParser(policy=compat32).parsebytes(envelope.original_content or b"")
    auto_submitted = str(headers.get("Auto-Submitted", "no")).split(";")[0].split("(")[0].strip().lower()
    precedence = str(headers.get("Precedence", "")).strip().lower()
    return (auto_submitted not in ("", "no") or precedence in _MACHINE_PRECEDENCE
            or any(name in headers for name in _MACHINE_HEADERS))


def start_intake(app, host="127.0.0.1", port=8025):
    """Start the intake in a background thread; return the running aiosmtpd Controller."""
    controller = Controller(IntakeHandler(app), hostname=host, port=port)
    controller.start()
    return controller
