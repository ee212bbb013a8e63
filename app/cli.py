"""The ``net119`` command."""
import ctypes
import errno
import gc
import json
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

from . import create_app
from .extensions import db

# Open connections (pages, sockets, requests) one server process takes at once.
DEFAULT_CONNECTIONS = 2048
SERVE_WITH_GEVENT = "NET119_GEVENT"  # read by app/__init__.py
PR_SET_PDEATHSIG = 1
PORT = click.IntRange(1, 65535)
# Left in a demo's --data folder: its database may be deleted at the next start.
DEMO_MARK = ".net119-demo"
# How long the start waits for the mail relay to answer before warning that it does not.
RELAY_CHECK_TIMEOUT_S = 3


def configured_app(shares_secret=False, names_database=True):
    """The app on the NET119_* settings; settings it cannot use end the command, each with the reason.

    ``shares_secret``: this process signs what another may check (forms, mailed
    links), so on PostgreSQL, several processes, SECRET_KEY must be the operator's.
    ``names_database``: say first which database the command works on, so that two
    commands meant to share one can be seen to (or not to).
    """
    from flask import Flask

    from .config import check_settings, operator_settings, secret_warnings
    from .database import database_location

    instance_path = Flask(__package__).instance_path
    try:
        settings = operator_settings(instance_path)
    except Exception as error:  # noqa: BLE001 (net119.cfg is the operator's Python: any error in it is theirs)
        raise click.ClickException(
            f"{instance_path}/net119.cfg を読めません。 / {instance_path}/net119.cfg cannot be read: "
            f"{type(error).__name__}: {error}") from None
    url = settings["DATABASE_URL"]
    if shares_secret and not settings["SECRET_KEY"] and isinstance(url, str) and url.startswith("postgres"):
        raise click.ClickException(
            "NET119_SECRET_KEY（秘密鍵）を設定してください。PostgreSQL では複数のプロセスが同じ鍵を使う必要があります。"
            "例：python3 -c 'import secrets; print(secrets.token_hex(32))' の出力を、すべてのプロセスに同じ値で。 / "
            "set NET119_SECRET_KEY: on PostgreSQL several processes must share one secret key (each would make its "
            "own, and a form or mailed link from one would fail at another). Give every process the same value, "
            "e.g. what python3 -c 'import secrets; print(secrets.token_hex(32))' prints.")
    try:
        app = create_app(check_settings(settings, os.environ))
    except ValueError as error:  # app/config.py and app/database.py explain what they cannot use
        raise click.ClickException(str(error)) from None
    for warning in secret_warnings(settings, os.environ):
        click.echo(warning, err=True)
    if names_database:
        click.echo(f"データベース / database: {database_location(app.config['DATABASE_URL'])}", err=True)
    return app


def check_can_listen(host, port, option="--port"):
    """End the command, saying what to do, when nothing could listen on ``host:port`` now.

    The server, and the demo before it makes anything, ask first: gunicorn
    retries a taken port for 5 s and ends in an English log line, and the
    demo's intake check would take another program's answer for its own.
    """
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as error:
        raise click.ClickException(
            f"--host {host} は、このマシンで待ち受けできるホスト名・アドレスではありません（{error}）。"
            f"127.0.0.1 や 0.0.0.0 など、このマシンのアドレスを指定してください。 / --host {host} is not a host name or address this "
            f"machine can listen on ({error}): give one of its addresses, such as 127.0.0.1 or 0.0.0.0.") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does: TIME_WAIT is no obstacle
        try:
            probe.bind(address)
        except OSError as error:
            raise click.ClickException(_cannot_listen(shown, option, error)) from None


def _cannot_listen(shown, option, error):
    if error.errno == errno.EADDRINUSE:
        return (f"{shown} は別のプログラムが使用中です。止めるか、空いている {option} を指定してください。 / "
                f"{shown} is in use by another program: stop it, or give a free {option}.")
    if error.errno == errno.EACCES:
        return (f"{shown} を開く権限がありません（1024 未満のポートは root か CAP_NET_BIND_SERVICE が必要です）。"
                f"{option} 8119 などで起動し、前段のプロキシから転送してください。 / no permission to listen on "
                f"{shown} (ports below 1024 need root or CAP_NET_BIND_SERVICE): use {option} 8119 or another "
                f"above 1023 behind the proxy.")
    if error.errno == errno.EADDRNOTAVAIL:
        return (f"{shown} はこのマシンのアドレスではありません。--host を確かめてください。 / "
                f"{shown} is not an address of this machine: check --host.")
    return f"{shown} で待ち受けできません。 / cannot listen on {shown}: {error.strerror or error}"


def become_gevent_server(arguments=None):
    """Re-execute as ``net119 ARGUMENTS`` (this command's by default) with gevent patching first.

    By the time a command runs, ``app`` and its libraries are imported
    unpatched, so the patch (app/__init__.py) needs a fresh interpreter:
    ``execv`` keeps the process id and environment, so a supervisor sees no
    difference.
    """
    if os.environ.get(SERVE_WITH_GEVENT) == "1":
        return
    os.environ[SERVE_WITH_GEVENT] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "app", *(arguments or sys.argv[1:])])


def serve_app(app, host, port, connections):
    """Serve ``app`` with gunicorn: one process (the hub is in-process), one gevent worker.

    Each open WebSocket is a greenlet, not a thread: a message wakes no other
    OS thread, and an idle page costs about 60 KiB. ``connections`` bounds the
    connected pages. Call ``become_gevent_server()`` before anything else.
    """
    from gunicorn.app.base import BaseApplication
    from gunicorn.workers.ggevent import GeventWorker

    from .proxy.speaking import (load_engines, prepare_in_background, prune_in_background, prunes,
                                 voice_beside_the_loop)

    # SQLite connections must not cross fork(): a pooled one that the master opened (migrating,
    # seeding the demo) would be shared by the worker, giving "disk I/O error" and worse.
    if db.obj is not None and hasattr(db.obj, "close_all"):
        db.close_all()

    class GeventSocketWorker(GeventWorker):
        def handle_quit(self, sig, frame):
            # A quick stop (Ctrl-C, SIGQUIT) ends the loop as a graceful one does; the master
            # kills what is left after graceful_timeout. gunicorn's own calls sys.exit() in a
            # greenlet, which gevent prints as a traceback at every Ctrl-C of `net119 demo`.
            self.alive = False

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("worker_class", GeventSocketWorker)
            self.cfg.set("workers", 1)
            self.cfg.set("worker_connections", connections)
            self.cfg.set("graceful_timeout", 3)
            # gunicorn's control socket runs asyncio in a thread of the master, which gevent
            # turns into a greenlet beside the demo's mail intake; nothing here uses it.
            self.cfg.set("control_socket_disable", True)
            self.cfg.set("accesslog", os.environ.get("NET119_ACCESS_LOG"))
            prepare_speech = bool(app.config.get("SPEECH_PREPARE_ON_START"))  # the bench's relay has none
            if prepare_speech:
                # The engines load in the master (the worker inherits them; loading in the worker
                # would stall its sockets); the voicing of the shared sentences runs in the worker,
                # after the fork, since threads started in the master would not survive it.
                load_engines(app)

            def worker_ready(worker):
                # Everything loaded so far lives as long as the worker: freeze it out of the
                # collector's full passes, which otherwise walk it all and stop every socket
                # (measured under bench/realtime's load: 50-90 ms each, 10-30 ms frozen).
                gc.collect()
                gc.freeze()
                voice_beside_the_loop()
                if prepare_speech:
                    prepare_in_background(app)
                if prunes(app):
                    # Card audio unused for SPEECH_CACHE_KEEP goes now, then hourly.
                    prune_in_background(app)

            self.cfg.set("post_worker_init", worker_ready)

        def load(self):
            return app

    Server().run()


@click.group()
def main():
    """NET119: internet 119 for deaf and speech-impaired residents."""


@main.command()
def migrate():
    """Apply the schema migrations to DATABASE_URL."""
    from peewee import PeeweeException

    from .database import database_problem
    from .migrations_runner import apply_migrations

    app = configured_app()
    database_state(app, made_here=True)
    try:
        applied = apply_migrations()
    except PeeweeException as error:  # not a bug to report: the server is down, the disk full, the URL wrong
        raise click.ClickException(
            f"{database_problem(error, app.config['DATABASE_URL'])}\n直してから、もう一度 `net119 migrate` を実行して"
            "ください（適用済みのものは二度適用されません）。 / Run `net119 migrate` again once that is fixed "
            "(what was applied is not applied twice).") from None
    click.echo(f"applied: {', '.join(applied)}" if applied else "the database is up to date")


def database_state(app, outage_ends_the_command=True, made_here=False):
    """``(problem, pending)`` of the database the command will use; ends the command where it cannot go on.

    A damaged file, a refused login and a schema from a newer NET119 end it
    always; a database that is down only when ``outage_ends_the_command``
    (otherwise ``problem`` says what is wrong and ``pending`` is empty). A SQLite
    file that is not there ends every command but the one that makes it
    (``made_here``: migrate), before SQLite would make an empty one.
    """
    from peewee import PeeweeException

    from .database import database_location, database_problem
    from .migrations_runner import schema_state

    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:") and not made_here:
        path = Path(database_location(url))
        if path.parent.is_dir() and not path.exists():
            raise click.ClickException(
                f"データベース {path} がありません。新しく作るなら `net119 migrate`（マイグレーション）を実行してください。"
                f"今あるデータベースを使うなら、NET119_DATABASE_URL にそのファイルを指定してください。 / there is no "
                f"database at {path}: run `net119 migrate` to make a new one, or point NET119_DATABASE_URL at the "
                f"file of the existing one.")
    try:
        pending, newer = schema_state()
    except PeeweeException as error:
        problem = database_problem(error, url)
        if problem.lasting or outage_ends_the_command:
            raise click.ClickException(str(problem)) from None
        return problem, []
    if newer:
        raise click.ClickException(
            f"このデータベースは、より新しい NET119 で更新されています（このバージョンが知らないマイグレーション："
            f"{', '.join(newer)}）。新しいバージョンで動かすか、このバージョンで作ったバックアップに戻してください。 / "
            f"This database was migrated by a newer NET119 (migrations this version does not know: "
            f"{', '.join(newer)}): run the newer version, or restore a backup made for this one.")
    return None, pending


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8119, show_default=True, type=PORT)
@click.option("--connections", default=DEFAULT_CONNECTIONS, show_default=True, type=click.IntRange(1),
              help="Open pages and requests served at once.")
def serve(host, port, connections):
    """Serve the configured deployment (NET119_* settings) with gunicorn."""
    check_can_listen(host, port)
    become_gevent_server()
    app = configured_app(shares_secret=True)
    check_access_log()
    check_database(app)
    for warning in mail_warnings(app):
        click.echo(warning, err=True)
    serve_app(app, host, port, connections)


def check_access_log():
    """End the command, naming the setting, when NET119_ACCESS_LOG cannot be written (gunicorn names none)."""
    path = os.environ.get("NET119_ACCESS_LOG")
    if not path or path == "-":
        return
    try:
        with open(path, "a"):
            pass
    except OSError as error:
        raise click.ClickException(f"NET119_ACCESS_LOG: {_cannot_write(path, error)}") from None


def mail_warnings(app):
    """What would keep mail from reaching residents, found at start: no relay, or one that does not answer.

    Warnings, not refusals: reports need no mail, and the outbox keeps every
    mail until a relay takes it.
    """
    from .mail.outbox import settings_warnings

    relay = app.config["MAIL_RELAY"]
    if not relay:
        if app.config["MAILBOX_PAGE"]:
            return []
        return ["警告：NET119_MAIL_RELAY が未設定です。申請・有効化のメールは送られず、送信箱に残ります。"
                "SMTP 中継サーバーを「ホスト:ポート」で設定してください。 / warning: NET119_MAIL_RELAY is not set: "
                "application and activation mails are not sent, they stay in the outbox; set it to host:port of "
                "the SMTP relay."]
    warnings = [f"Warning: {warning}" for warning in settings_warnings(app.config)]
    host, _, port = relay.rpartition(":")
    address = (host.strip("[]"), int(port))
    try:
        socket.create_connection(address, timeout=RELAY_CHECK_TIMEOUT_S).close()
    except OSError as error:
        unknown = isinstance(error, socket.gaierror)
        return warnings + [
            f"警告：NET119_MAIL_RELAY（{relay}）に今は接続できません（{error}）。メールは送信箱に残り、あとで再送されます。"
            + ("ホスト名の綴りを確かめてください。" if unknown else "中継サーバーとポートを確かめてください。")
            + f" / warning: NET119_MAIL_RELAY ({relay}) cannot be reached now ({error}): mail waits in the outbox "
            + ("and is tried again; check the spelling of the host name." if unknown
               else "and is tried again; check the relay and its port.")]
    try:
        # Its greeting too: port 465 (TLS from the first byte) or another service on the
        # port would take a connection and then fail every mail.
        smtplib.SMTP(*address, timeout=RELAY_CHECK_TIMEOUT_S).quit()
    except (smtplib.SMTPException, OSError) as error:
        said = error or type(error).__name__
        warnings.append(
            f"警告：NET119_MAIL_RELAY（{relay}）は SMTP で応答しません（{said}）。平文の SMTP 中継（普通はポート 25）を"
            f"指定してください。 / warning: NET119_MAIL_RELAY ({relay}) does not answer as an SMTP relay ({said}): "
            "name a plain SMTP relay (usually port 25); mail waits in the outbox.")
    return warnings


# What serve, intake and outbox do while the database cannot be reached, in Japanese and English.
PAGES_ANSWER_503 = ("つながるまでページは 503 を返します。", "pages answer 503 until it can")


def check_database(app, meanwhile=PAGES_ANSWER_503):
    """Refuse to serve a database without its schema, or one that is damaged; serve one that is down, and say so.

    Pages on a database that cannot be reached answer 503 with the other ways to call
    119 (SPEC §3.5), and come back by themselves when it does: an outage at start is
    no reason to refuse. A schema never migrated, a damaged file or a refused login
    will not come back by themselves. ``meanwhile`` says what the command does until then.
    """
    problem, pending = database_state(app, outage_ends_the_command=False)
    if problem:
        click.echo(f"警告：今はデータベースに接続できません。{meanwhile[0]} / "
                   f"warning: the database cannot be reached now; {meanwhile[1]}: {problem}", err=True)
    elif pending:
        raise click.ClickException(
            f"先に `net119 migrate` でマイグレーションを適用してください（未適用 {len(pending)} 件）。 / "
            f"the database needs `net119 migrate` first ({len(pending)} migration(s) not applied: "
            f"{', '.join(pending)})")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8119, show_default=True, type=PORT)
@click.option("--data", "data_dir", default="demo-data", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
@click.option("--connections", default=DEFAULT_CONNECTIONS, show_default=True, type=click.IntRange(1),
              help="Open pages and requests served at once.")
@click.option("--mail-port", default=0, type=click.IntRange(0, 65535),
              help="Port of the mail intake; 0 picks a free one.")
def demo(host, port, data_dir, connections, mail_port):
    """Start the whole system on a fresh demo database in DATA (SPEC §2).

    This process prepares the data, starts the mail intake as a process of
    its own (aiosmtpd is asyncio, which cannot share a gevent-patched
    process), then becomes ``net119 serve`` on the demo's settings.
    """
    from peewee import PeeweeException

    from . import demo as demo_data
    from .database import database_problem
    from .hq_csv import parse_csv
    from .migrations_runner import apply_migrations

    check_can_listen(host, port)
    if mail_port:
        check_can_listen("127.0.0.1", mail_port, "--mail-port")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        database = data_dir / "net119.sqlite3"
        _refuse_a_database_not_of_a_demo(data_dir, database)
        (data_dir / DEMO_MARK).write_text("net119 demo: the data here is made afresh at each start\n")
        for stale in data_dir.glob("net119.sqlite3*"):
            stale.unlink()
    except OSError as error:
        raise click.ClickException(_demo_data_problem(data_dir, error.strerror, error.strerror)) from None
    shutil.rmtree(data_dir / "speech-cache", ignore_errors=True)
    shown_host = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown_host}:{port}"
    # As NET119_* variables, so that the intake and the server read the same deployment.
    # ("demo-" keeps the key a string: these values are parsed as JSON where they can be.)
    settings = {"DATABASE_URL": f"sqlite:///{database.resolve()}",
                "SECRET_KEY": "demo-" + os.urandom(32).hex(),
                "SPEECH_CACHE_DIR": str((data_dir / "speech-cache").resolve()),
                "PUBLIC_URL": base_url, "MAILBOX_PAGE": "true"}
    os.environ.update({f"NET119_{name}": value for name, value in settings.items()})
    app = configured_app()
    csv_text = (Path(__file__).parent / "data" / demo_data.DEMO_HQ_CSV).read_text(encoding="utf-8")
    try:
        apply_migrations()
        with db.connection_context():
            accounts = demo_data.seed(parse_csv(csv_text))
    except PeeweeException as error:  # a full disk, a folder it may not write in
        problem = database_problem(error, settings["DATABASE_URL"])
        raise click.ClickException(_demo_data_problem(data_dir, problem.ja, problem.en)) from None
    finally:
        db.close_all()
    mail_port = mail_port or _free_port("127.0.0.1")
    _start_intake_process("127.0.0.1", mail_port)
    accounts = {"base_url": base_url, **accounts,
                "mail_intake": {"host": "127.0.0.1", "port": mail_port, "domain": app.config["MAIL_DOMAIN"]}}
    try:
        (data_dir / "demo-accounts.json").write_text(json.dumps(accounts, ensure_ascii=False, indent=2))
    except OSError as error:
        raise click.ClickException(_demo_data_problem(data_dir, error.strerror, error.strerror)) from None
    _print_welcome(accounts, data_dir)
    become_gevent_server(["serve", "--host", host, "--port", str(port), "--connections", str(connections)])


def _refuse_a_database_not_of_a_demo(data_dir, database):
    """End the demo rather than delete a database that a demo did not make (``--data instance``, say)."""
    made_by_a_demo = (data_dir / DEMO_MARK).exists() or (data_dir / "demo-accounts.json").exists()
    if database.exists() and not made_by_a_demo:
        raise click.ClickException(
            f"{database} はデモが作ったものではありません。デモは起動のたびにデータベースを削除して作り直すため、"
            f"この --data では起動しません。空のフォルダーを --data に指定してください。 / {database} was not made by "
            f"a demo, and the demo would delete it (it makes its database afresh at each start): give --data an "
            f"empty folder.")


def _demo_data_problem(data_dir, ja, en):
    return (f"デモのデータを {data_dir} に作れません：{ja} --data に、空きがあり書き込めるフォルダーを指定してください。 / "
            f"cannot use {data_dir} for the demo's data: {en}; give --data a folder with free space that "
            "this user may write in.")


def _start_intake_process(host, port):
    """Run ``net119 intake`` beside the server; it ends with this process. Wait until it listens."""
    env = {name: value for name, value in os.environ.items() if name != SERVE_WITH_GEVENT}
    process = subprocess.Popen([sys.executable, "-m", "app", "intake", "--host", host, "--port", str(port)],
                               env=env, preexec_fn=_end_with_parent)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise click.ClickException(f"the mail intake did not start on {host}:{port}")


def _end_with_parent():
    # Linux: the intake gets SIGTERM when the process that started it ends
    # (exec() does not count), so stopping the demo stops it too.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port(host):
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=PORT)
def intake(host, port):
    """Run the mail intake alone: empty mails to r.<hq-code>@MAIL_DOMAIN get the application link;
    bounces of NET119's own mail (to bounce+…@MAIL_DOMAIN) mark it not delivered."""
    if port:
        check_can_listen(host, port)
    app = configured_app(shares_secret=True)
    check_database(app, ("つながるまで、届いたメールには一時エラー（451）を返し、送り手のサーバーが再送します。",
                         "mail that comes in is answered 451 (try again later) until it can, and its sender retries"))
    for warning in mail_warnings(app):
        click.echo(warning, err=True)
    controller = _start_intake(app, host, port)
    click.echo(f"mail intake on {controller.hostname}:{controller.port} "
               f"for r.<hq-code>@{app.config['MAIL_DOMAIN']} and bounce+…@{app.config['MAIL_DOMAIN']}; Ctrl-C to stop")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        controller.stop()


@main.command()
@click.option("--once", is_flag=True, help="Try the due mail once and exit (for cron).")
@click.option("--every", default=30, show_default=True, type=click.IntRange(1),
              help="Seconds between rounds.")
def outbox(once, every):
    """Send the outbox's due mail through MAIL_RELAY, retrying with backoff what it cannot take yet.

    A mail the relay refuses for good (a 5xx reply), or cannot take for three days, is given up:
    marked failed, never tried again, and shown to the HQ's administrators.
    """
    from .mail.outbox import deliver_due

    app = configured_app()
    if not app.config["MAIL_RELAY"]:
        raise click.ClickException(
            "NET119_MAIL_RELAY（SMTP 中継サーバー）を設定してください。送信箱のメールはそこへ送られます。例：smtp.example.jp:25 / "
            "set NET119_MAIL_RELAY to host:port of the SMTP relay, e.g. smtp.example.jp:25: the outbox sends its mail "
            "there, and without it mail stays in the outbox.")
    check_database(app, (f"{every} 秒ごとに試します。", f"the outbox tries again every {every} s"))
    # A relay that does not answer is said, not refused: this command's job is to retry, and
    # started at boot beside the relay it may well come up first. A refusal would only hand
    # the retrying to a supervisor (or, from cron, to the next minute), saying no more.
    for warning in mail_warnings(app):
        click.echo(warning, err=True)
    while True:
        try:
            given_up = []
            with app.app_context(), db.connection_context():
                sent = deliver_due(given_up=given_up)
        except Exception as error:  # noqa: BLE001 (the next round tries again; only --once ends)
            if once:
                raise click.ClickException(f"outbox round failed: {type(error).__name__}: {error}") from None
            click.echo(f"outbox round failed, trying again in {every} s: {type(error).__name__}: {error}", err=True)
        else:
            if sent or given_up:
                # Each given-up mail is named in the log (stderr) with the relay's reply.
                click.echo(f"sent {sent}, failed {len(given_up)} (not delivered, not tried again)"
                           if given_up else f"sent {sent}")
            if once:
                return
        time.sleep(every)


def _start_intake(app, host, port):
    """Start the mail intake in this process (a free port when ``port`` is 0)."""
    from .mail.intake import start_intake

    return start_intake(app, host, port or _free_port(host))


@main.group()
def hq():
    """Headquarters and the municipalities they cover."""


def _hq_tables_ready(app):
    """End an hq command with the reason when its tables cannot be read (not migrated, damaged, newer, or down)."""
    _, pending = database_state(app)
    if pending:
        raise click.ClickException(
            f"先に `net119 migrate` でマイグレーションを適用してください（未適用 {len(pending)} 件）。 / "
            f"run `net119 migrate` first ({len(pending)} migration(s) not applied: {', '.join(pending)})")


@hq.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def hq_import(path):
    """Create or update HQs from a CSV file; a file with any error changes nothing."""
    from .dispatch import phrases
    from .hq_csv import InvalidCsv, read_csv
    from .jurisdictions import import_headquarters
    from .models import Headquarters, write_transaction

    def refuse(errors):
        for error in errors:
            click.echo(str(error), err=True)
        click.echo("何も取り込んでいません。 / Nothing was imported.", err=True)
        raise click.exceptions.Exit(1)

    _hq_tables_ready(configured_app())
    result = read_csv(path)
    if not result.ok:
        refuse(result.errors)
    with db.connection_context():
        known = {code for (code,) in Headquarters.select(Headquarters.code).tuples()}
        try:
            imported = import_headquarters(result.rows)
        except InvalidCsv as conflicts:  # against HQs already in the database; nothing was written
            refuse(conflicts.errors)
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

    _hq_tables_ready(configured_app())
    with db.connection_context():
        text = write_csv(export_rows())
    if output:
        try:
            output.write_text(text, encoding="utf-8-sig")
        except OSError as error:
            raise click.ClickException(_cannot_write(output, error)) from None
    else:
        click.echo(text, nl=False)


@main.command()
@click.argument("text")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
def speak(text, output, lang):
    """Synthesise TEXT to an MP3 file, to check how the card will be read."""
    from speech import NoEngineAvailable, speak_to_file

    if not text.strip():
        raise click.UsageError("TEXT が空です。読み上げる文を指定してください。 / TEXT is empty: give the words to speak.")
    if not output.parent.is_dir():
        raise click.ClickException(_cannot_write(output, FileNotFoundError(errno.ENOENT, "no such folder")))
    try:
        result = speak_to_file(text, output, lang)
    except NoEngineAvailable as error:
        raise click.ClickException(f"no speech engine for {lang}: {error}") from None
    except OSError as error:
        if error.filename != str(output):
            raise
        raise click.ClickException(_cannot_write(output, error)) from None
    click.echo(f"{output}: {result.duration:.1f} s, {len(result.mp3):,} bytes, {result.engine} ({result.voice})")


def _cannot_write(path, error):
    reason = error.strerror or str(error)
    return (f"{path} に書き込めません（{reason}）。フォルダーがあり、このユーザーが書き込めるか確かめてください。 / "
            f"cannot write {path} ({reason}): check that its folder exists and that this user may write in it.")


@main.group()
def speech():
    """The proxy-call card's server speech."""


@speech.command("prune")
def speech_prune():
    """Remove the card audio unused for SPEECH_CACHE_KEEP (the server also does it hourly)."""
    from .proxy.speaking import prune_cache

    pruned = prune_cache(configured_app(names_database=False))
    click.echo(f"removed {pruned.removed} file(s), {pruned.freed:,} bytes; "
               f"kept {pruned.kept} card(s), {pruned.kept_bytes:,} bytes")


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
