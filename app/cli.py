"""The ``net119`` command."""
import ctypes
import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import click

from . import create_app
from .extensions import db

DEFAULT_THREADS = 512
M_ARENA_MAX = -8  # glibc's mallopt parameter number


def serve_app(app, host, port, threads):
    """Serve ``app`` with gunicorn: one process (the hub is in-process), many threads.

    Each open WebSocket holds one thread for its lifetime, so the thread count
    bounds the number of connected pages.
    """
    from gunicorn.app.base import BaseApplication

    from .proxy.speaking import prepare_in_background

    _limit_malloc_arenas()
    # SQLite connections must not cross fork(): a pooled one that the master opened (migrating,
    # seeding the demo) would be shared by the worker, giving "disk I/O error" and worse.
    if db.obj is not None and hasattr(db.obj, "close_all"):
        db.close_all()

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("workers", 1)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_connections", threads + 64)
            self.cfg.set("graceful_timeout", 3)
            self.cfg.set("accesslog", os.environ.get("NET119_ACCESS_LOG"))
            if app.config.get("SPEECH_PREPARE_ON_START"):  # the bench's bare relay has no such setting
                # In the worker, after the fork: a thread started in the master would not survive it.
                self.cfg.set("post_worker_init", lambda worker: prepare_in_background(app))

        def load(self):
            return app

    Server().run()


def _limit_malloc_arenas(arenas=2):
    """Cap glibc's malloc arenas before gunicorn forks its worker.

    Every socket brings short-lived threads (simple-websocket's reader), and
    glibc gives threads up to 8 arenas per core; memory freed in one arena is
    not reused by another, so the process grows for a long time before it
    settles (measured: 61 -> 110 MiB over 3,000 sockets; capped, 60 -> 80 MiB).
    Same effect as MALLOC_ARENA_MAX=2; a no-op where glibc is not the allocator.
    """
    try:
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError):
        pass


@click.group()
def main():
    """NET119: internet 119 for deaf and speech-impaired residents."""


@main.command()
def migrate():
    """Apply the schema migrations to DATABASE_URL."""
    from .migrations_runner import apply_migrations

    create_app()
    applied = apply_migrations()
    click.echo(f"applied: {', '.join(applied)}" if applied else "the database is up to date")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8119, show_default=True, type=int)
@click.option("--threads", default=DEFAULT_THREADS, show_default=True, type=int)
def serve(host, port, threads):
    """Serve the configured deployment (NET119_* settings) with gunicorn."""
    serve_app(create_app(), host, port, threads)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8119, show_default=True, type=int)
@click.option("--data", "data_dir", default="demo-data", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
@click.option("--threads", default=DEFAULT_THREADS, show_default=True, type=int)
@click.option("--mail-port", default=0, type=int, help="Port of the mail intake; 0 picks a free one.")
def demo(host, port, data_dir, threads, mail_port):
    """Start the whole system on a fresh demo database in DATA (SPEC §2)."""
    from . import demo as demo_data
    from .hq_csv import parse_csv
    from .migrations_runner import apply_migrations

    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / "net119.sqlite3"
    for stale in data_dir.glob("net119.sqlite3*"):
        stale.unlink()
    shutil.rmtree(data_dir / "speech-cache", ignore_errors=True)
    shown_host = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown_host}:{port}"
    app = create_app({"DATABASE_URL": f"sqlite:///{database.resolve()}",
                      "SECRET_KEY": os.urandom(32).hex(),
                      "SPEECH_CACHE_DIR": str((data_dir / "speech-cache").resolve()),
                      "PUBLIC_URL": base_url, "MAILBOX_PAGE": True})
    apply_migrations()
    csv_text = (Path(__file__).parent / "data" / demo_data.DEMO_HQ_CSV).read_text(encoding="utf-8")
    with db.connection_context():
        accounts = demo_data.seed(parse_csv(csv_text))
    intake = _start_intake(app, "127.0.0.1", mail_port)
    accounts = {"base_url": base_url, **accounts,
                "mail_intake": {"host": intake.hostname, "port": intake.port,
                                "domain": app.config["MAIL_DOMAIN"]}}
    (data_dir / "demo-accounts.json").write_text(json.dumps(accounts, ensure_ascii=False, indent=2))
    _print_welcome(accounts, data_dir)
    serve_app(app, host, port, threads)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=int)
def intake(host, port):
    """Run the mail intake alone: empty mails to r.<hq-code>@MAIL_DOMAIN get the application link."""
    app = create_app()
    controller = _start_intake(app, host, port)
    click.echo(f"mail intake on {controller.hostname}:{controller.port} "
               f"for r.<hq-code>@{app.config['MAIL_DOMAIN']}; Ctrl-C to stop")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        controller.stop()


@main.command()
@click.option("--once", is_flag=True, help="Try the due mail once and exit (for cron).")
@click.option("--every", default=30, show_default=True, type=int, help="Seconds between rounds.")
def outbox(once, every):
    """Send the outbox's due mail through MAIL_RELAY, retrying failures with backoff."""
    from .mail.outbox import deliver_due

    app = create_app()
    if not app.config["MAIL_RELAY"]:
        raise click.ClickException("MAIL_RELAY is not set: mail stays in the outbox")
    while True:
        with app.app_context(), db.connection_context():
            sent = deliver_due()
        if sent:
            click.echo(f"sent {sent}")
        if once:
            return
        time.sleep(every)


def _start_intake(app, host, port):
    """Start the mail intake in this process (a free port when ``port`` is 0)."""
    from .mail.intake import start_intake

    if not port:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
    return start_intake(app, host, port)


@main.group()
def hq():
    """Headquarters and the municipalities they cover."""


@hq.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def hq_import(path):
    """Create or update HQs from a CSV file; a file with any error changes nothing."""
    from .dispatch import phrases
    from .hq_csv import read_csv
    from .jurisdictions import import_headquarters
    from .models import Headquarters, write_transaction

    create_app()
    result = read_csv(path)
    if not result.ok:
        for error in result.errors:
            click.echo(str(error), err=True)
        raise click.exceptions.Exit(1)
    with db.connection_context():
        known = {code for (code,) in Headquarters.select(Headquarters.code).tuples()}
        imported = import_headquarters(result.rows)
        # A new HQ's console starts with the default canned phrases; an existing HQ keeps its own.
        with write_transaction():
            for new_hq in (hq for hq in imported if hq.code not in known):
                phrases.seed_defaults(new_hq)
    click.echo(f"imported {len(imported)} headquarters")


@hq.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (UTF-8 with BOM, so spreadsheets read it) instead of stdout.")
def hq_export(output):
    """Write every HQ and its municipalities as CSV."""
    from .hq_csv import write_csv
    from .jurisdictions import export_rows

    create_app()
    with db.connection_context():
        text = write_csv(export_rows())
    if output:
        output.write_text(text, encoding="utf-8-sig")
    else:
        click.echo(text, nl=False)


@main.command()
@click.argument("text")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
def speak(text, output, lang):
    """Synthesise TEXT to an MP3 file, to check how the card will be read."""
    from speech import NoEngineAvailable, speak_to_file

    try:
        result = speak_to_file(text, output, lang)
    except NoEngineAvailable as error:
        raise click.ClickException(f"no speech engine for {lang}: {error}") from None
    click.echo(f"{output}: {result.duration:.1f} s, {len(result.mp3):,} bytes, {result.engine} ({result.voice})")


def _print_welcome(accounts, data_dir):
    base = accounts["base_url"]
    click.echo(f"\nNET119 demo: {base}\n")
    click.echo(f"  Resident app      {base}/")
    click.echo(f"  Dispatcher console {base}/dispatch")
    click.echo(f"  HQ administration {base}/admin")
    click.echo(f"  Registration      {base}/register")
    click.echo(f"  Demo mailbox      {base}/register/mailbox")
    intake = accounts["mail_intake"]
    click.echo(f"  Mail intake       smtp://{intake['host']}:{intake['port']} "
               f"(empty mail to r.<hq-code>@{intake['domain']})\n")
    for title, key in (("Residents", "residents"), ("Dispatchers", "dispatchers"), ("Admins", "admins")):
        click.echo(f"  {title}:")
        for account in accounts[key]:
            click.echo(f"    {account['login']:<28} {account['password']:<14} (HQ {account['hq']})")
    click.echo(f"\n  Accounts written to {data_dir / 'demo-accounts.json'}")
    click.echo("  Press Ctrl-C to stop.\n", nl=True)
