"""Links that go out by mail: the signed application link and absolute URLs."""
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..mail.outbox import send_mail
from ..models import Headquarters

_SALT = "net119-application-link"


class LinkExpired(Exception):
    """A genuine application link past its age limit."""


class LinkInvalid(Exception):
    """An application link that was not made by us (tampered or mistyped)."""


def external_url(endpoint, **values):
    """An absolute URL under PUBLIC_URL; mails are written outside web requests."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def application_token(hq, email):
    """A signed token naming the HQ and the applicant's mail address."""
    return _serializer().dumps({"hq": hq.code, "email": email})


def read_application_token(token):
    """``(hq, email, issued_at)`` of a valid token; LinkExpired or LinkInvalid otherwise."""
    max_age = current_app.config["APPLICATION_LINK_MAX_AGE"].total_seconds()
    try:
        data, issued_at = _serializer().loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired:
        raise LinkExpired from None
    except BadSignature:
        raise LinkInvalid from None
    hq = Headquarters.get_or_none(Headquarters.code == data.get("hq"))
    if hq is None or not hq.uses_service:
        raise LinkInvalid
    return hq, data["email"], issued_at.replace(tzinfo=None)


def send_application_link(hq, email):
    """Mail ``email`` the application link for ``hq`` (through the outbox)."""
    link = external_url("registration.apply", token=application_token(hq, email))
    days = current_app.config["APPLICATION_LINK_MAX_AGE"].days
    return send_mail(email, "application_link", hq=hq, link=link, days=days)
