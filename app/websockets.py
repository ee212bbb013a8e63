"""Checks made before a WebSocket handshake is accepted."""
from urllib.parse import urlsplit

from flask import abort, current_app, request, session


def is_websocket_request():
    """True for an HTTP request asking to upgrade to a WebSocket."""
    return request.headers.get("Upgrade", "").lower() == "websocket"


def origin_allowed():
    """The Origin header names this site or one of ALLOWED_ORIGINS.

    Browsers send Origin on every WebSocket handshake and cookies go along, so
    without this check any other site could open a socket with the user's session.
    """
    origin = request.headers.get("Origin", "")
    allowed = current_app.config["ALLOWED_ORIGINS"]
    if allowed:
        return origin in allowed
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc == request.host


def guard_handshake():
    """Refuse (403) a handshake from another origin or without a session; never compress."""
    if not origin_allowed() or session.id is None:
        abort(403)
    decline_compression()


def decline_compression():
    """Answer this handshake without permessage-deflate, whatever the browser offers.

    simple-websocket accepts every offered extension. Our frames are a few
    hundred bytes, within one TCP segment compressed or not, so deflate saves
    no round trip on a phone; it costs about 100 KiB of zlib state per open
    socket and CPU for every frame in the one server process; and compressing
    a resident's words in one context with text an attacker can inject is
    what CRIME/BREACH-style attacks need.
    """
    request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
