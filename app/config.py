"""Configuration defaults.

Order of precedence (later wins): these defaults, ``instance/net119.cfg``,
``NET119_*`` environment variables (``NET119_DATABASE_URL=...``; values are
parsed as JSON where they can be), and the mapping passed to ``create_app``.
"""
from datetime import timedelta


class Defaults:
    """The embedded default: one process, SQLite, in-process fan-out."""

    # None means: generate once and keep in instance/secret_key (see app.create_app).
    SECRET_KEY = None
    # None means: instance/net119.sqlite3.
    DATABASE_URL = None

    # Origins allowed to open WebSockets. Empty: only the origin the page was served from.
    ALLOWED_ORIGINS = []

    # A resident's phone stays logged in: reporting must never ask for a password.
    RESIDENT_SESSION_LIFETIME = timedelta(days=400)
    STAFF_SESSION_LIFETIME = timedelta(hours=14)
    SESSION_COOKIE_NAME = "net119_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False

    # A page may stay open for hours during an incident; an expiring CSRF token
    # would turn a message into an error at the worst moment. The token is bound
    # to the server-side session instead, which is revocable.
    WTF_CSRF_TIME_LIMIT = None

    MAX_CONTENT_LENGTH = 64 * 1024
    MAX_MESSAGE_CHARS = 1000

    # flask-sock passes these to simple-websocket: a ping every 25 s, and a peer
    # that has not answered the previous ping by the next one is dropped (<= 50 s).
    SOCK_SERVER_OPTIONS = {"ping_interval": 25, "max_message_size": 16 * 1024}

    # The map background. Coordinates and the accuracy circle are drawn without it.
    TILE_URL = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
    TILE_ATTRIBUTION = "地理院タイル"

    # Speech for the proxy-call card (SPEC §5): None caches in instance/speech-cache, and
    # None engines means speech.SpeechConfig's defaults ({"ja": ["openjtalk"], "en": ["espeak-ng"]}).
    SPEECH_CACHE_DIR = None
    SPEECH_ENGINES = None

    # How often the no-JavaScript chat log reloads itself (SPEC §3.6).
    NOSCRIPT_REFRESH_SECONDS = 5
