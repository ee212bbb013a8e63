"""Headers every answer carries, whatever made it (page, fragment, file, error).

Four headers, so no library: flask-talisman's defaults (HTTPS redirects, nonces in
every page) are for another shape of deployment; TLS ends at the proxy, and these pages
need no nonce, having no inline script or style (tests/test_security_headers.py).
"""
import re
from urllib.parse import urlsplit

from flask import request

# A Host header fit to be named in the policy; anything else (a stray ";" would add a
# directive) is left out, and 'self' alone then covers the sockets in current browsers.
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
_TILE_HOST = re.compile(r"(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def init_app(app):
    fixed = content_security_policy(app.config["TILE_URL"])

    @app.after_request
    def security_headers(response):
        # Scripts and styles only from this site's files: a message or a name that got
        # past escaping could still not run a script in the console or the chat (the
        # pages have no inline script, style or handler; tests/e2e fails on a violation).
        response.headers.setdefault("Content-Security-Policy", fixed + _socket_sources())
        # The console's buttons act on a case: no other site may frame a page and steer a
        # click (clickjacking; frame-ancestors above). The same, for old browsers:
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Case numbers are in the URLs: a link out (a map, a phone's FAX page) must not carry them.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def content_security_policy(tile_url):
    """The policy up to its last directive, connect-src, which ``_socket_sources`` ends.

    Map tiles are the one thing a page loads from another host (TILE_URL).
    """
    tiles = _origin(tile_url)
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # data: is Leaflet's blank image, which it loads into a tile to cancel its download.
        "img-src 'self' data:" + (f" {tiles}" if tiles else ""),
        "media-src 'self'",
        "font-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "frame-src 'self'",  # the chat's no-JavaScript message frame
        "frame-ancestors 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "connect-src 'self'",
    ])


def _socket_sources():
    # 'self' covers ws: and wss: to this host only from CSP level 3 on (Safari 15.4+);
    # an older phone's browser would refuse the chat's socket without them by name.
    host = request.host
    if not _HOST.fullmatch(host):
        return ""
    return f" ws://{host} wss://{host}"


def _origin(url):
    """``https://tiles.example`` from a tile URL template; Leaflet's ``{s}`` subdomain becomes ``*``."""
    parts = urlsplit(url)
    host = re.sub(r"\{s\}", "*", parts.netloc)
    if parts.scheme in ("http", "https") and _TILE_HOST.fullmatch(host):
        return f"{parts.scheme}://{host}"
    return ""
