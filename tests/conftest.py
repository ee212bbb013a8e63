"""Shared fixtures: an app on a real SQLite file (or a real PostgreSQL server), the demo data, and a live demo server."""
import ctypes
import itertools
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from app import create_app, demo
from app.extensions import db
from app.hq_csv import parse_csv
from app.migrations_runner import apply_migrations
from app.realtime import hub

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
CLIENT_ID = re.compile(r'name="client_id" value="([^"]+)"')
CHITOSE_CITY_HALL = {"lat": "42.82102", "lon": "141.65088", "accuracy": "15"}


def demo_hq_rows():
    """The demo HQ rows, through the same CSV import the demo uses."""
    text = (ROOT / "app" / "data" / demo.DEMO_HQ_CSV).read_text(encoding="utf-8")
    return parse_csv(text)


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory):
    """A migrated database with the demo data, made once (Argon2 hashing is slow on purpose)."""
    path = tmp_path_factory.mktemp("template") / "net119.sqlite3"
    create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "test-secret"})
    apply_migrations()
    with db.connection_context():
        accounts = demo.seed(demo_hq_rows())
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return path, accounts


@pytest.fixture
def app(request, tmp_path, seeded_database):
    """The app on its own copy of the seeded database file.

    A test marked ``both_databases`` runs twice: on SQLite, and on a database
    of its own on a real PostgreSQL server (see pytest_generate_tests).
    """
    config = {"SECRET_KEY": "test-secret", "TESTING": True}
    if getattr(request, "param", "sqlite") == "postgresql":
        config["DATABASE_URL"], accounts = request.getfixturevalue("postgres_database")
        # Practice keeps its own store (SPEC §6); beside a PostgreSQL ledger that is instance/.
        config["PRACTICE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'practice.sqlite3'}"
    else:
        template, accounts = seeded_database
        path = tmp_path / "net119.sqlite3"
        shutil.copyfile(template, path)
        config["DATABASE_URL"] = f"sqlite:///{path}"
    app = create_app(config)
    app.accounts = accounts
    yield app
    if not db.is_closed():
        db.close()
    hub.bridge_to(None)  # a PostgreSQL app's listener stops before its database is dropped


def pytest_generate_tests(metafunc):
    """Run each test marked ``both_databases`` that uses the app on SQLite and on PostgreSQL.

    The SQL that differs between them (locking, RETURNING, the group commit's
    path, ORDER BY, aggregates) is what those tests exercise.
    """
    if "app" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("app", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def form_fields(response):
    """The CSRF token and client id of the first form on a page."""
    token = CSRF.search(response.text)
    client_id = CLIENT_ID.search(response.text)
    return {"csrf_token": token.group(1) if token else "",
            "client_id": client_id.group(1) if client_id else ""}


def login_as(client, account, path="/login"):
    """Log ``client`` in with a demo account; return the redirect response."""
    page = client.get(path)
    response = client.post(path, data={"csrf_token": form_fields(page)["csrf_token"],
                                       "login": account["login"], "password": account["password"]})
    assert response.status_code == 303, response.text
    return response


def start_report(client, kind="fire", place="current", **fields):
    """Tap kind then place as the start page does; return the POST response."""
    page = client.get("/?kind=fire")
    data = {**form_fields(page), "kind": kind, "place": place, **CHITOSE_CITY_HALL, **fields}
    return client.post("/reports", data=data)


def dispatcher_account(app, hq="chitose"):
    """A demo dispatcher's account at ``hq``."""
    return next(a for a in app.accounts["dispatchers"] if a["hq"] == hq)


def console_with_a_case(app):
    """A chitose dispatcher's client, logged in, and the id of a new report their HQ received."""
    from app.models import Report

    resident, console = app.test_client(), app.test_client()
    login_as(resident, app.accounts["residents"][0])
    start_report(resident)
    login_as(console, dispatcher_account(app), path="/dispatch/login")
    with db.connection_context():
        return console, Report.get().id


# ---- A live server, started the way `net119 demo` starts it --------------------

def wait_for(condition, timeout=10):
    """True once ``condition()`` is, polled every 50 ms; False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def free_port():
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent():
    # Linux: the server gets SIGTERM if pytest dies, so no server outlives a test run.
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)


class LiveServer:
    """A NET119 server process on 127.0.0.1: ``net119 demo``, or ``net119 serve`` on a given database.

    ``database`` is a SQLite file's path or a ``postgresql://`` URL.
    """

    def __init__(self, data_dir, port=None, database=None, accounts=None, env=None):
        self.data_dir, self.port = Path(data_dir), port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.database, self.accounts, self.env = database, accounts, env or {}
        self.process = None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.data_dir / f"server-{self.port}.log", "ab")

    def start(self):
        """Start (or restart) the process and wait until /healthz answers."""
        address = ["--host", "127.0.0.1", "--port", str(self.port)]
        # Test servers start often and measure their own threads and memory: no speech warm-up
        # unless a test asks for it (tests/test_proxy.py checks the warm-up itself).
        env = {**os.environ, "NET119_SPEECH_PREPARE_ON_START": "false", **self.env}
        if self.database:
            command = [sys.executable, "-m", "app", "serve", *address]
            url = self.database if str(self.database).startswith("postgresql:") else f"sqlite:///{self.database}"
            env.update(NET119_DATABASE_URL=url, NET119_SECRET_KEY="live-test")
        else:
            command = [sys.executable, "-m", "app", "demo", *address, "--data", str(self.data_dir)]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                        preexec_fn=_die_with_parent, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not become healthy in 30 s")
        if not self.database:
            self.accounts = json.loads((self.data_dir / "demo-accounts.json").read_text())
        return self

    def stop(self):
        """Stop the process (SIGTERM, then SIGKILL after 10 s)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def close(self):
        self.stop()
        self.log.close()

    def crash_worker(self):
        """SIGKILL the worker mid-flight (a crash); gunicorn's master starts a new one."""
        old = self.worker_pid()
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.worker_pid() != old:
                    with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as answer:
                        if answer.status == 200:
                            return
            except (OSError, IndexError):
                pass
            time.sleep(0.1)
        raise RuntimeError("no new worker after a crash")

    def worker_pid(self):
        """The gunicorn worker serving requests: the master's child forked with its command line.

        (The demo's other child is its mail intake, ``net119 intake``.)
        """
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        command = Path(f"/proc/{master}/cmdline").read_bytes()
        return [int(pid) for pid in children if Path(f"/proc/{pid}/cmdline").read_bytes() == command][0]

    def account(self, kind, hq="chitose"):
        """The first demo account of ``kind`` ("residents", "dispatchers", "admins") at ``hq``."""
        return next(a for a in self.accounts[kind] if a["hq"] == hq)


@pytest.fixture
def served(tmp_path, seeded_database):
    """Start ``net119 serve`` on a copy of the seeded database; stopped after the test."""
    servers = []

    def start(**env):
        template, accounts = seeded_database
        database = tmp_path / f"served-{len(servers)}.sqlite3"
        shutil.copyfile(template, database)
        server = LiveServer(tmp_path / "served", database=database, accounts=accounts, env=env).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """One demo server for the whole session (tests create their own reports)."""
    server = LiveServer(tmp_path_factory.mktemp("live") / "demo").start()
    yield server
    server.close()


# ---- A real PostgreSQL server (SPEC §9: the storage of several app processes) ------

class PostgresServer:
    """A throw-away PostgreSQL cluster on 127.0.0.1, a child of pytest that dies with it.

    Debian's server binaries (tests/run installs them); as root, the cluster
    runs as the ``postgres`` user, since PostgreSQL refuses to run as root.
    """

    def __init__(self, root):
        binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
        if not binaries:
            pytest.fail("PostgreSQL's server is not installed: tests/run installs Debian's postgresql")
        self.bin, self.root, self.port = binaries[-1].parent, Path(root), free_port()
        self.user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        self.process = None

    def _as_owner(self):
        if self.user:
            os.setgid(self.user.pw_gid)
            os.setuid(self.user.pw_uid)
        _die_with_parent()  # after setuid, which would clear it

    def start(self):
        data = self.root / "data"
        self.root.mkdir(parents=True, exist_ok=True)
        if self.user:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        made = subprocess.run([self.bin / "initdb", "-D", data, "-A", "trust", "-U", "net119", "-E", "UTF8",
                               "--locale=C.UTF-8", "--no-sync"], capture_output=True, text=True,
                              preexec_fn=self._as_owner)
        if made.returncode:
            raise RuntimeError(f"initdb failed: {made.stderr}")
        # fsync off: these tests are about SQL and locking, not about surviving a power cut.
        self.log = open(self.root / "server.log", "ab")
        self.process = subprocess.Popen(
            [self.bin / "postgres", "-D", data, "-p", str(self.port), "-k", self.root,
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off"],
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=self._as_owner)
        import psycopg2
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg2.connect(self.url("postgres")).close()
                return self
            except psycopg2.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start; see {self.log.name}") from None
                time.sleep(0.1)

    def url(self, database):
        return f"postgresql://net119@127.0.0.1:{self.port}/{database}"

    def execute(self, sql):
        """Run ``sql`` outside a transaction (CREATE DATABASE needs that)."""
        import psycopg2
        connection = psycopg2.connect(self.url("postgres"))
        connection.autocommit = True
        try:
            connection.cursor().execute(sql)
        finally:
            connection.close()

    def stop(self):
        if self.process:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: pooled clients are disconnected
            self.process.wait(30)
            self.log.close()


@pytest.fixture(scope="session")
def postgres_server():
    """The PostgreSQL server, with a database migrated and seeded as the demo is (the template)."""
    # Not under pytest's tmp_path: its parents are root's alone, and the server runs as postgres.
    server = PostgresServer(tempfile.mkdtemp(prefix="net119-postgres-"))
    try:
        server.start()
        server.execute("CREATE DATABASE seeded")
        create_app({"DATABASE_URL": server.url("seeded"), "SECRET_KEY": "test-secret"})
        apply_migrations()
        with db.connection_context():
            server.accounts = demo.seed(demo_hq_rows())
        db.close_all()  # pooled: a template database must have no connection left
        hub.bridge_to(None)
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


_database_numbers = itertools.count(1)


@pytest.fixture
def postgres_database(postgres_server):
    """A fresh copy of the seeded database: (url, demo accounts)."""
    name = f"test_{next(_database_numbers)}"
    postgres_server.execute(f"CREATE DATABASE {name} TEMPLATE seeded")
    yield postgres_server.url(name), postgres_server.accounts
    if hasattr(db.obj, "close_all"):
        db.close_all()
    postgres_server.execute(f"DROP DATABASE {name} WITH (FORCE)")

