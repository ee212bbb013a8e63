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
    """Refuse (403) a handshake from another origin or without a session."""
    if not origin_allowed() or session.id is None:
        abort(403)
