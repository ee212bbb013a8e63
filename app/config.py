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

    # A resident's phone stays logged in: reporting must never ask for a password. As NET119_*
    # variables, lifetimes are seconds (NET119_STAFF_SESSION_LIFETIME=50400): app/sessions.py.
    RESIDENT_SESSION_LIFETIME = timedelta(days=400)
    STAFF_SESSION_LIFETIME = timedelta(hours=14)
    SESSION_COOKIE_NAME = "net119_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None: Secure when PUBLIC_URL is https (TLS ends at the proxy, so the request cannot tell);
    # true or false as the operator sets it.
    SESSION_COOKIE_SECURE = None

    # A page may stay open for hours during an incident; an expiring CSRF token
    # would turn a message into an error at the worst moment. The token is bound
    # to the server-side session instead, which is revocable.
    WTF_CSRF_TIME_LIMIT = None

    MAX_CONTENT_LENGTH = 64 * 1024

    # Responses compressed by flask-compress: brotli first (the smallest for text at this
    # CPU cost; every current phone browser reads it), for the 45 KB first-visit budget.
    COMPRESS_ALGORITHM = ["br", "gzip", "deflate"]
    COMPRESS_ALGORITHM_STREAMING = ["br", "deflate"]
    COMPRESS_BR_LEVEL = 5
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
    # Voice the sentences every card shares when the server starts (in the background), so the
    # first card after a restart is not the slow, truly cold one (bench/README.md, speech).
    SPEECH_PREPARE_ON_START = True
    # A card's MP3 names a person, a disability and a place: the server removes it once no card
    # has used it for this long (hourly; `net119 speech prune` at once). A month keeps the home
    # card of anyone who opens the app monthly; a card voiced again costs about 0.3 s. As a
    # NET119_* variable, seconds. None keeps them for ever. The shared sentences always stay.
    SPEECH_CACHE_KEEP = timedelta(days=30)
    # Beyond this many bytes of card audio, the least recently used go first: a guard against a
    # full disk (which would stop the database too), well above a month of ordinary use
    # (about 60 KB a card). None: no limit.
    SPEECH_CACHE_MAX_BYTES = 2 * 1024**3

    # Practice reports (SPEC §6) live in their own database; None means
    # practice.sqlite3 next to the SQLite DATABASE_URL file (else in instance/).
    PRACTICE_DATABASE_URL = None

    # Per-HQ question trees (SPEC §3.2): <dir>/<hq code>/<kind>.json replaces the
    # default tree of that kind for that HQ. None means instance/questions.
    QUESTION_TREES_DIR = None

    # How often the no-JavaScript chat log reloads itself (SPEC §3.6).
    NOSCRIPT_REFRESH_SECONDS = 5
    # A report no dispatcher has opened after this long makes the resident's chat say so and
    # show the other ways to call (SPEC §3.5, "HQ not reachable"): nobody may be at the console.
    UNSEEN_REPORT_SECONDS = 30

    # The terms of use an applicant agrees to (SPEC §7): a file of HTML (the operator's own
    # text, trusted as a template is) shown inside /register/terms. None shows the built-in
    # text in templates/registration/terms.html, written for this service in plain Japanese.
    TERMS_FILE = None

    # Mail (SPEC §7). MAIL_RELAY is "host:port" of the SMTP relay; None keeps every
    # mail in the outbox (the embedded default; the demo shows it at a mailbox page).
    MAIL_RELAY = None
    MAIL_DOMAIN = "net119.localhost"
    # None means "NET119 <no-reply@MAIL_DOMAIN>".
    MAIL_FROM = None
    # Where links in mails point: mails are written outside any web request.
    PUBLIC_URL = "http://127.0.0.1:8119"
    # The outbox as a web page: only for the demo, as it shows everyone's mail.
    MAILBOX_PAGE = False
    APPLICATION_LINK_MAX_AGE = timedelta(days=7)
    ACTIVATION_LINK_MAX_AGE = timedelta(days=7)
    # Empty mails accepted by the intake: (count, per seconds), per sender and per HQ.
    INTAKE_LIMIT_PER_SENDER = (5, 3600)
    INTAKE_LIMIT_PER_HQ = (300, 3600)
    # Proxies in front of the app that append to X-Forwarded-For (SPEC §9: several processes
    # behind a proxy). 0 trusts no header; failed logins are then limited per socket address,
    # which behind an unconfigured proxy is the proxy's, shared by everyone.
    TRUSTED_PROXY_HOPS = 0
