"""Shared fixtures: an app on a real SQLite file, the demo data, and a live demo server."""
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app import create_app, demo
from app.extensions import db
from app.hq_csv import parse_csv
from app.migrations_runner import apply_migrations

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
def app(tmp_path, seeded_database):
    """The app on its own copy of the seeded database file."""
    template, accounts = seeded_database
    path = tmp_path / "net119.sqlite3"
    shutil.copyfile(template, path)
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "test-secret",
                      "TESTING": True})
    app.accounts = accounts
    yield app
    if not db.is_closed():
        db.close()


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


# ---- A live server, started the way `net119 demo` starts it --------------------

def free_port():
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent():
    # Linux: the server gets SIGTERM if pytest dies, so no server outlives a test run.
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)


class LiveServer:
    """A NET119 server process on 127.0.0.1: ``net119 demo``, or ``net119 serve`` on a given database."""

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
            env.update(NET119_DATABASE_URL=f"sqlite:///{self.database}", NET119_SECRET_KEY="live-test")
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
