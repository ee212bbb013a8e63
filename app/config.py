"""Configuration defaults.

Order of precedence (later wins): these defaults, ``instance/net119.cfg``,
``NET119_*`` environment variables (``NET119_DATABASE_URL=...``; values are
parsed as JSON where they can be), and the mapping passed to ``create_app``.
The ``net119`` command checks the operator's settings first (``check_settings``):
one that cannot work stops it at start, not at the first report that needs it.
"""
import difflib
import os
import re
import secrets
import tempfile
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit


class Defaults:
    """The embedded default: one process, SQLite, in-process fan-out."""

    # None means: generate once and keep in instance/secret_key (see instance_secret).
    SECRET_KEY = None
    # None means: instance/net119.sqlite3. A SQLite file is named by its absolute path.
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


# Read by the command itself, not settings of the app.
ENVIRONMENT_ONLY = {"GEVENT", "ACCESS_LOG", "BENCH_STAGES"}
SECONDS = ("RESIDENT_SESSION_LIFETIME", "STAFF_SESSION_LIFETIME", "APPLICATION_LINK_MAX_AGE",
           "ACTIVATION_LINK_MAX_AGE")
WHOLE_NUMBERS = {"MAX_MESSAGE_CHARS": 1, "NOSCRIPT_REFRESH_SECONDS": 1, "UNSEEN_REPORT_SECONDS": 1,
                 "TRUSTED_PROXY_HOPS": 0}
SWITCHES = ("MAILBOX_PAGE", "SPEECH_PREPARE_ON_START", "SESSION_COOKIE_SECURE")
TRUE_WORDS, FALSE_WORDS = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}
# Characters below which a secret key is refused (from instance/secret_key) or warned of (set by
# the operator): what signs the forms, the mailed links and the login limits must not be guessable.
# The key this service makes is 64 (secrets.token_hex(32)).
SECRET_KEY_MIN_CHARS = 32
MAKE_A_SECRET = "python3 -c 'import secrets; print(secrets.token_hex(32))'"
MAIL_DOMAIN_NAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?",
                              re.IGNORECASE)


class SettingsError(ValueError):
    """Settings the service cannot run with: each named, what is wrong and what to write, in Japanese and English."""

    def __init__(self, problems):
        self.problems = problems
        # A name with a space in it says where it is already (a setting of instance/net119.cfg).
        labels = [name if " " in name else f"NET119_{name}" for name, _, _ in problems]
        lines = [f"  {label}: {ja}\n  {label}: {en}" for label, (_, ja, en) in zip(labels, problems)]
        super().__init__("次の設定を直してから、もう一度実行してください。 / "
                         "Fix these settings, then run the command again:\n" + "\n".join(lines))


def operator_settings(instance_path):
    """The settings as create_app reads them without overrides: defaults, instance/net119.cfg, NET119_*."""
    from flask import Config

    from_file = Config(instance_path)
    from_file.from_pyfile("net119.cfg", silent=True)
    config = Config(instance_path)
    config.from_object(Defaults)
    config.update(from_file)
    config.from_prefixed_env("NET119")
    config.names_in_file = set(from_file)  # for check_settings: a misspelt name there is ignored too
    return config


def check_settings(config, environ):
    """The values create_app should take instead of the operator's own (seconds as durations, ...).

    SettingsError naming every setting that cannot work, so the command stops at
    start rather than at the first report, mail or card that needs it.
    """
    taken = {}
    problems = (_name_problems(config, environ) + _number_problems(config, taken) + _switch_problems(config, taken)
                + _secret_problems(config, environ) + _address_problems(config, taken) + _file_problems(config))
    if config["SECRET_KEY"] is None and not problems:
        # Only now: settings refused leave no new file behind.
        problems = _instance_secret_problems(Path(config.root_path) / "secret_key", taken)
    if problems:
        raise SettingsError(problems)
    return taken


def _name_problems(config, environ):
    """A misspelt name is otherwise ignored: NET119_DATABASE_ULR runs the service on a local SQLite file."""
    known = config_names()
    misspelt = [(name, f"NET119_{name}", "NET119_") for name in sorted(
        variable.removeprefix("NET119_").split("__")[0] for variable in environ if variable.startswith("NET119_"))
        if name not in known | ENVIRONMENT_ONLY]
    misspelt += [(name, f"{name} (instance/net119.cfg)", "")
                 for name in sorted(getattr(config, "names_in_file", set()) - known)]
    problems = []
    for name, label, prefix in misspelt:
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
        problems.append((label, "NET119 にこの名前の設定はありません。"
                         + (f"{prefix}{close[0]} のことですか。" if close else "綴りを確かめてください。"),
                         "NET119 has no setting of this name: "
                         + (f"did you mean {prefix}{close[0]}?" if close else "check its spelling.")))
    return problems


def _number_problems(config, taken):
    """Counts, seconds and bytes; seconds are taken as durations."""
    problems = []
    for name, minimum in WHOLE_NUMBERS.items():
        if not _whole(config[name], minimum):
            problems.append((name, f"{minimum} 以上の整数にしてください（今は {config[name]!r}）。",
                             f"must be a whole number, at least {minimum} (found {config[name]!r})."))
    for name in SECONDS:
        taken[name] = _duration(config[name])
        if taken[name] is None:
            problems.append((name, f"0 より大きい秒数にしてください（今は {config[name]!r}）。例：14時間なら 50400。",
                             f"must be a number of seconds above 0 (found {config[name]!r}), e.g. 50400 for 14 hours."))
    keep = config["SPEECH_CACHE_KEEP"]
    if keep is not None:
        taken["SPEECH_CACHE_KEEP"] = _duration(keep)
        if taken["SPEECH_CACHE_KEEP"] is None:
            problems.append(("SPEECH_CACHE_KEEP", f"0 より大きい秒数にしてください（今は {keep!r}）。ずっと残すなら null。",
                             f"must be a number of seconds above 0 (found {keep!r}), e.g. 2592000 for 30 days, "
                             "or null to keep the audio for ever."))
    most = config["SPEECH_CACHE_MAX_BYTES"]
    if most is not None and not _whole(most, 1):
        problems.append(("SPEECH_CACHE_MAX_BYTES", f"1 以上のバイト数にしてください（今は {most!r}）。上限なしなら null。",
                         f"must be a number of bytes above 0 (found {most!r}), e.g. 2147483648 for 2 GiB, "
                         "or null for no limit."))
    for name in ("INTAKE_LIMIT_PER_SENDER", "INTAKE_LIMIT_PER_HQ"):
        limit, example = config[name], list(getattr(Defaults, name))
        if isinstance(limit, (list, tuple)) and len(limit) == 2 and all(_whole(part, 1) for part in limit):
            taken[name] = tuple(limit)
        else:
            problems.append((name, f"[件数, 秒数] の形で、どちらも 1 以上の整数にしてください。例：{example}（今は {limit!r}）。",
                             f"must be [count, seconds], two whole numbers above 0, e.g. {example} (found {limit!r})."))
    return problems


def _switch_problems(config, taken):
    """true or false (NET119_MAILBOX_PAGE=no would otherwise be a non-empty string, so on)."""
    problems = []
    for name in SWITCHES:
        value = config[name]
        if name == "SESSION_COOKIE_SECURE" and value is None:
            continue  # decided from PUBLIC_URL
        taken[name] = _switch(value)
        if taken[name] is None:
            problems.append((name, f"true か false にしてください（今は {value!r}）。",
                             f"must be true or false (found {value!r})."))
    return problems


def _secret_problems(config, environ):
    """A SECRET_KEY the operator set that cannot sign: digits only (read as a number), or empty.

    The value is never repeated, being a secret. Unset (None), the instance file is used.
    """
    secret = config["SECRET_KEY"]
    label = "SECRET_KEY" if "NET119_SECRET_KEY" in environ else "SECRET_KEY (instance/net119.cfg)"
    if secret is None or (isinstance(secret, (str, bytes)) and secret.strip()):
        return []
    if isinstance(secret, (str, bytes)):
        # NET119_SECRET_KEY=$KEY with KEY unset: the key is not what the operator meant to set.
        return [(label, f"空です。{SECRET_KEY_MIN_CHARS} 文字以上のランダムな文字列にしてください。例：{MAKE_A_SECRET} の出力。"
                        "設定しなければ、instance/secret_key に作られた鍵を使います。",
                 f"is empty: write a random text of at least {SECRET_KEY_MIN_CHARS} characters, e.g. what "
                 f"{MAKE_A_SECRET} prints; or leave it unset to use the key made in instance/secret_key.")]
    return [(label, f"長いランダムな文字列にしてください（数字だけにはしないでください）。例：{MAKE_A_SECRET} の出力。",
             f"must be a long random text, not a {type(secret).__name__}: e.g. what {MAKE_A_SECRET} prints.")]


def secret_warnings(config, environ):
    """A SECRET_KEY the operator set that is short enough to be guessed: said at start, in both languages."""
    secret = config["SECRET_KEY"]
    if not isinstance(secret, (str, bytes)) or len(secret.strip()) >= SECRET_KEY_MIN_CHARS:
        return []
    label = "NET119_SECRET_KEY" if "NET119_SECRET_KEY" in environ else "SECRET_KEY (instance/net119.cfg)"
    return [f"警告：{label} が {SECRET_KEY_MIN_CHARS} 文字より短く、推測されるおそれがあります（フォームや、メールで送るリンクの署名に"
            f"使います）。{MAKE_A_SECRET} の出力に替えて、すべてのプロセスを再起動してください。 / warning: {label} is "
            f"shorter than {SECRET_KEY_MIN_CHARS} characters and could be guessed (it signs the forms and the mailed "
            f"links): replace it with what {MAKE_A_SECRET} prints, and restart every process."]


def instance_secret(path):
    """The key kept in ``path`` (instance/secret_key), made there first if there is none.

    Another process may be making it at the same moment (serve and intake started
    together): the key is written whole to a file of its own, then linked into place,
    which never replaces a key already there. So no process ever reads a half-written
    one, and every process of the machine ends with the same key.
    """
    try:
        return path.read_bytes().decode("utf-8", "replace").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, made = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # readable by this user only
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(made, path)
        except FileExistsError:
            pass  # another process made it first: its key is the one
    finally:
        os.unlink(made)
    return path.read_bytes().decode("utf-8", "replace").strip()


def _instance_secret_problems(path, taken):
    """Take the key of instance/secret_key; refuse one too short to be the key this service made.

    An empty or short file is damage (a full disk, a hand edit, a copy cut short). It is
    never replaced here: a server may be signing with it now, and the operator decides.
    """
    label = f"SECRET_KEY ({path})"
    try:
        secret = instance_secret(path)
    except OSError as error:
        reason = error.strerror or str(error)
        return [(label, f"秘密鍵のファイルを作れません（{reason}）。このユーザーが {path.parent} に書き込めるようにするか、"
                        f"NET119_SECRET_KEY を設定してください。例：{MAKE_A_SECRET} の出力。",
                 f"the secret key's file cannot be made ({reason}): let this user write in {path.parent}, or set "
                 f"NET119_SECRET_KEY, e.g. to what {MAKE_A_SECRET} prints.")]
    if len(secret) < SECRET_KEY_MIN_CHARS:
        state = ("空です", "is empty") if not secret else (f"{len(secret)} 文字しかありません", f"holds only {len(secret)} characters")
        return [(label, f"{state[0]}（壊れているおそれがあります）。このままでは推測できる鍵で署名することになるので、使いません。"
                        f"NET119 をすべて止めてからこのファイルを削除すると、次の起動で新しい鍵が作られます"
                        f"（ログイン中の画面や送ったリンクは無効になります）。または {SECRET_KEY_MIN_CHARS} 文字以上のランダムな文字列を"
                        f"書き込んでください。例：{MAKE_A_SECRET} の出力。",
                 f"{state[1]} (it may be damaged): it is not used, as forms and mailed links would be signed with a "
                 f"key anyone could guess. Stop every NET119 process and delete the file: the next start makes a new "
                 f"key (open forms and links already mailed stop working). Or write a random text of at least "
                 f"{SECRET_KEY_MIN_CHARS} characters into it, e.g. what {MAKE_A_SECRET} prints.")]
    taken["SECRET_KEY"] = secret
    return []


def config_names():
    """Every setting the app reads: ours and Flask's."""
    from flask import Flask

    return {name for name in dir(Defaults) if name.isupper()} | set(Flask.default_config) | {
        "WTF_CSRF_ENABLED", "WTF_CSRF_CHECK_DEFAULT", "WTF_CSRF_SSL_STRICT", "WTF_CSRF_FIELD_NAME",
        "WTF_CSRF_HEADERS", "WTF_CSRF_METHODS", "COMPRESS_MIMETYPES", "COMPRESS_LEVEL", "COMPRESS_MIN_SIZE",
        "COMPRESS_REGISTER", "COMPRESS_STREAMS"}


def _address_problems(config, taken):
    """PUBLIC_URL, the mail settings, ALLOWED_ORIGINS, TILE_URL, the database URLs and SPEECH_ENGINES."""
    from .database import database_url_problem
    problems = []
    public = config["PUBLIC_URL"]
    parts = urlsplit(public) if isinstance(public, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(("PUBLIC_URL", f"このサイトの公開アドレスを https:// から書いてください（今は {public!r}）。"
                                       "例：https://net119.example.jp",
                         f"must be the site's public address starting with https:// (or http://), e.g. "
                         f"https://net119.example.jp (found {public!r}): mailed links are made from it."))
    relay = config["MAIL_RELAY"]
    if relay:
        host, _, port = str(relay).rpartition(":")
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            problems.append(("MAIL_RELAY", f"SMTP 中継サーバーを「ホスト:ポート」で書いてください。例：smtp.example.jp:25"
                                           f"（今は {relay!r}）。",
                             f"must be host:port of the SMTP relay, e.g. smtp.example.jp:25 (found {relay!r})."))
    domain = config["MAIL_DOMAIN"]
    if not (isinstance(domain, str) and MAIL_DOMAIN_NAME.fullmatch(domain)):
        problems.append(("MAIL_DOMAIN", f"メールのドメイン名にしてください。例：net119.example.jp（今は {domain!r}）。",
                         f"must be a mail domain such as net119.example.jp (found {domain!r})."))
    sender = config["MAIL_FROM"]
    if sender is not None:
        address = parseaddr(sender)[1] if isinstance(sender, str) else ""
        if "@" not in address or " " in address:
            problems.append(("MAIL_FROM", f"差出人のメールアドレスにしてください。例：NET119 <no-reply@net119.example.jp>"
                                          f"（今は {sender!r}）。",
                             f"must be a mail address, e.g. NET119 <no-reply@net119.example.jp> (found {sender!r})."))
    origins = config["ALLOWED_ORIGINS"]
    if isinstance(origins, str):
        origins = origins.replace(",", " ").split()
    if not isinstance(origins, (list, tuple)):
        origins = [origins]
    allowed = []
    for origin in origins:
        parts = urlsplit(origin.rstrip("/")) if isinstance(origin, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
                or parts.path or parts.query or parts.fragment:
            hint = f"{parts.scheme}://{parts.netloc}" if parts and parts.netloc else "https://net119.example.jp"
            problems.append(("ALLOWED_ORIGINS", f"オリジンは「https://ホスト名」だけで、パスを付けずに書いてください。"
                                                f"例：{hint}（今は {origin!r}）。",
                             f"origins are scheme://host[:port] with no path, e.g. {hint} (found {origin!r})."))
        else:
            allowed.append(f"{parts.scheme}://{parts.netloc}")
    taken["ALLOWED_ORIGINS"] = allowed
    tiles = config["TILE_URL"]
    if not (isinstance(tiles, str) and tiles.startswith(("https://", "http://"))
            and all(part in tiles for part in ("{z}", "{x}", "{y}"))):
        problems.append(("TILE_URL", f"地図タイルの URL に {{z}}/{{x}}/{{y}} を含めてください。例：{Defaults.TILE_URL}"
                                     f"（今は {tiles!r}）。",
                         f"must be a tile URL holding {{z}}/{{x}}/{{y}}, e.g. {Defaults.TILE_URL} (found {tiles!r})."))
    refused_urls = set()
    for name in ("DATABASE_URL", "PRACTICE_DATABASE_URL"):
        if config[name] is not None:
            wrong = database_url_problem(config[name], name) or _relative_sqlite_problem(config[name])
            if wrong:
                problems.append((name, *wrong))
                refused_urls.add(name)
    practice = config["PRACTICE_DATABASE_URL"]
    if isinstance(practice, str) and practice.startswith("sqlite:///") and "PRACTICE_DATABASE_URL" not in refused_urls:
        # Made at the first practice report: its folder has to be there by then.
        folder = Path(practice.removeprefix("sqlite:///")).parent
        if not folder.is_dir():
            problems.append(("PRACTICE_DATABASE_URL", f"フォルダー {folder} がありません。作るか、ある場所を指定してください。",
                             f"there is no folder {folder}: make it, or name one that exists."))
    problems += _engine_problems(config["SPEECH_ENGINES"])
    return problems


def _relative_sqlite_problem(url):
    """A SQLite file named by a relative path would be found from the folder each command starts in.

    So `net119 serve` started in one folder and `net119 outbox` in another would use two
    databases without a word. Refused, not resolved against some folder: a deployment that
    ran on a relative path keeps its file where it is, and the operator names it once.
    """
    if not url.startswith("sqlite:"):
        return None
    path = urlsplit(url).path[1:]  # as peewee reads it: an empty path is a database in memory
    if os.path.isabs(path):
        return None
    example = f"sqlite:///{Path.cwd() / path}" if path and path != ":memory:" else "sqlite:////var/lib/net119/net119.sqlite3"
    return (f"SQLite のファイルは / から始まる絶対パスで書いてください（今は {path!r}）。相対パスでは、コマンドを"
            f"起動したフォルダーごとに別のデータベースになります。例：{example}（sqlite: のあとにスラッシュ 4 つ）。",
            f"must name the SQLite file by its absolute path, starting with / (found {path!r}): a relative "
            f"one is found from the folder each command starts in, so two commands could use two databases. "
            f"E.g. {example} (four slashes after sqlite:).")


def _engine_problems(engines):
    from speech.engines import ENGINES

    example = '{"ja": ["openjtalk"], "en": ["espeak-ng"]}'
    if engines is None:
        return []
    if not (isinstance(engines, dict) and all(isinstance(names, list) for names in engines.values())):
        return [("SPEECH_ENGINES", f"言語ごとのエンジンの順を {example} の形で書いてください（今は {engines!r}）。",
                 f"must name the engines of each language in order, like {example} (found {engines!r}).")]
    unknown = sorted({str(name) for names in engines.values() for name in names} - ENGINES.keys())
    if unknown:
        return [("SPEECH_ENGINES", f"知らないエンジン {', '.join(unknown)} があります。使えるのは {', '.join(sorted(ENGINES))}。",
                 f"unknown engine {', '.join(unknown)}; known: {', '.join(sorted(ENGINES))}.")]
    return []


def _file_problems(config):
    """The files and folders the operator named: the terms, the speech cache, the question trees."""
    return _terms_problems(config["TERMS_FILE"]) + _folder_problems(config)


def _folder_problems(config):
    """SPEECH_CACHE_DIR must be a folder (made if need be), QUESTION_TREES_DIR an existing one."""
    problems = []
    cache = config["SPEECH_CACHE_DIR"]
    if cache:
        try:
            Path(cache).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            problems.append(("SPEECH_CACHE_DIR",
                             f"{cache} をフォルダーとして作れません（{error.strerror}）。書き込めるフォルダーを指定してください。",
                             f"{cache} cannot be made a folder ({error.strerror}): name a folder this user may "
                             "write in (the proxy-call card's audio is kept there)."))
    trees = config["QUESTION_TREES_DIR"]
    if trees and not Path(trees).is_dir():
        problems.append(("QUESTION_TREES_DIR",
                         f"{trees} というフォルダーはありません。各本部の質問ツリーを置いたフォルダーを指定してください。",
                         f"there is no folder {trees}: name the folder of the HQs' question trees "
                         "(without it every HQ gets the default questions)."))
    return problems


def _terms_problems(path):
    """TERMS_FILE must be a UTF-8 file this process can read: applicants agree to what it says."""
    if not path:
        return []
    try:
        Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        ja = f"{path} が UTF-8 ではありません（{error.start} バイト目）。UTF-8 で保存し直してください。"
        en = f"{path} is not UTF-8 (at byte {error.start}): save it again as UTF-8."
    except IsADirectoryError:
        ja, en = f"{path} はフォルダーです。利用規約の HTML ファイルを指定してください。", \
            f"{path} is a folder: name the HTML file of the terms of use."
    except OSError as error:
        ja = f"{path} を読めません（{error.strerror}）。ファイルの場所と読み取り権限を確かめてください。"
        en = f"{path} cannot be read ({error.strerror}): check where the file is and that this user may read it."
    else:
        return []
    return [("TERMS_FILE", ja, en)]


def _whole(value, minimum):
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _duration(value):
    """``value`` (a timedelta, or seconds) as a timedelta above zero; None when it is neither."""
    if isinstance(value, timedelta):
        return value if value > timedelta(0) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=value)
    return None


def _switch(value):
    """True or False from true/false, yes/no, on/off, 1/0; None for anything else."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None
