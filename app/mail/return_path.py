"""The envelope sender of each outgoing mail (VERP): bounce+<mail id>-<tag>@MAIL_DOMAIN.

A relay that takes a mail and cannot deliver it later sends the bounce to this address, and
the address says which mail came back: the intake (``net119 intake``) receives it.
"""
import hashlib
import hmac
import re

from flask import current_app

from ..models import OutgoingMail

PREFIX = "bounce+"
# The id is at most 18 digits: more would not fit the database's integer, and a hand-made
# address must be refused, not make the database fail.
_LOCAL_PART = re.compile(r"bounce\+(?P<id>\d{1,18})-(?P<tag>[0-9a-f]{16})", re.IGNORECASE)


def bounce_address(mail):
    """Where the bounces of ``mail`` go: the MAIL FROM it is sent with."""
    return f"{PREFIX}{mail.id}-{_tag(mail)}@{current_app.config['MAIL_DOMAIN']}"


def looks_like_a_bounce_address(address, mail_domain):
    """Whether ``address`` is in the form of a bounce address at ``mail_domain`` (not whether it is valid)."""
    local, _, domain = address.rpartition("@")
    return domain.lower() == mail_domain.lower() and local.lower().startswith(PREFIX)


def mail_of(address):
    """The OutgoingMail whose bounce address ``address`` is; None for an unknown mail or a wrong tag."""
    local, _, domain = address.rpartition("@")
    match = _LOCAL_PART.fullmatch(local)
    if match is None or domain.lower() != current_app.config["MAIL_DOMAIN"].lower():
        return None
    mail = OutgoingMail.get_or_none(OutgoingMail.id == int(match["id"]))
    if mail is None or not hmac.compare_digest(_tag(mail), match["tag"].lower()):
        return None
    return mail


def _tag(mail):
    # Keyed with the secret: no one can write the bounce address of someone else's mail, and so
    # no one can make the administrators believe it was not delivered. The creation time is in
    # it as well: a database made afresh numbers its mail from 1 again, and a late bounce for
    # the old #5 must not fail the new one.
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    text = f"bounce:{mail.id}:{mail.created_at:%Y%m%d%H%M%S%f}"
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()[:16]
