"""NET119: the Flask application factory."""
import os

if os.environ.get("NET119_GEVENT") == "1":
    # Set by `net119 serve` and `net119 demo` for the server process they turn
    # into (app/cli.py). gevent has to patch the standard library before
    # anything imports it: peewee's per-thread connection state, made before
    # the patch, would be one state shared by every socket of the process.
    from gevent import monkey

    monkey.patch_all()
    try:
        # On PostgreSQL (several processes, SPEC §9), psycopg2 would block the whole
        # loop, every socket, for each query's round trip: let it wait in the loop.
        import psycogreen  # noqa: F401
        from psycopg2 import extensions
    except ImportError:  # SQLite only: the postgres extra is not installed
        pass
    else:
        from .database import wait_in_the_gevent_loop

        extensions.set_wait_callback(wait_in_the_gevent_loop)

from pathlib import Path  # noqa: E402 (after the patch, on purpose)

from flask import Flask

from . import config as config_module
from .database import open_database
from .extensions import compress, csrf, db, htmx, sock
from .sessions import DatabaseSessionInterface

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    """Build the application: config, database, extensions, blueprints, errors."""
    app = Flask(__name__, static_folder=str(PROJECT_ROOT / "static"),
                template_folder=str(PROJECT_ROOT / "templates"))
    load_config(app, config)
    init_database(app)
    init_fanout(app)
    init_extensions(app)
    init_languages(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    add_security_headers(app)
    return app


def load_config(app, overrides):
    """Defaults, then instance/net119.cfg, then NET119_* variables, then ``overrides``."""
    app.config.from_object(config_module.Defaults)
    app.config.from_pyfile("net119.cfg", silent=True)
    app.config.from_prefixed_env("NET119")
    app.config.update(overrides or {})
    if not app.config["SECRET_KEY"]:
        # Made once, whole, and never replaced (config.instance_secret); `net119` refuses a damaged one at start.
        app.config["SECRET_KEY"] = config_module.instance_secret(Path(app.instance_path) / "secret_key")
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config["PUBLIC_URL"].lower().startswith("https://")
    if not app.config["DATABASE_URL"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'net119.sqlite3'}"


def init_database(app):
    """Bind the models to DATABASE_URL; one connection per request or socket step.

    peewee connects on the first query, so a request that needs no database
    (a static file, the health check reporting an outage) does not fail on it.
    """
    db.initialize(open_database(app.config["DATABASE_URL"]))

    @app.teardown_request
    def close_database(exc):
        if not db.is_closed():
            db.close()


def add_security_headers(app):
    """Content-Security-Policy, framing, sniffing and referrer headers on every answer; no-store on personal ones."""
    from . import caching, security_headers

    security_headers.init_app(app)
    caching.init_app(app)


def init_fanout(app):
    """In-process fan-out; on PostgreSQL also LISTEN/NOTIFY, so several app processes can share it (SPEC §9)."""
    from .realtime import hub
    from .realtime_postgres import PostgresBridge

    url = app.config["DATABASE_URL"]
    hub.bridge_to(PostgresBridge(url, hub) if url.startswith(("postgresql:", "postgres:")) else None)


def init_extensions(app):
    """Bind the unbound extensions and the server-side session store."""
    compress.init_app(app)
    csrf.init_app(app)
    sock.init_app(app)
    htmx.init_app(app)
    app.session_interface = DatabaseSessionInterface()


def init_languages(app):
    """Japanese by default, English from the catalogue in translations/."""
    from . import i18n

    i18n.init_app(app)


def register_blueprints(app):
    """One blueprint per area of the product."""
    from .account import bp as account_bp
    from .admin import bp as admin_bp
    from .core import bp as core_bp
    from .core.converters import init_converters
    from .dispatch import bp as dispatch_bp
    from .practice import bp as practice_bp
    from .proxy import bp as proxy_bp
    from .registration import bp as registration_bp
    from .report import bp as report_bp

    init_converters(app)  # first: an <int:...> in a route is an id the database can hold
    app.register_blueprint(core_bp)
    app.register_blueprint(report_bp)
    app.register_blueprint(proxy_bp)
    app.register_blueprint(practice_bp)
    app.register_blueprint(dispatch_bp, url_prefix="/dispatch")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(registration_bp, url_prefix="/register")
    app.register_blueprint(account_bp, url_prefix="/account")


def register_error_handlers(app):
    """Every failure becomes a plain Japanese and English page, never a stack trace."""
    from .core.errors import register

    register(app)


def register_template_helpers(app):
    """Labels and formatting shared by every template."""
    from .core.templating import register

    register(app)
