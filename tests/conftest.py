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
    """A `net119 demo` process on 127.0.0.1 with its accounts."""

    def __init__(self, data_dir, port=None):
        self.data_dir, self.port = Path(data_dir), port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        command = [sys.executable, "-m", "app", "demo", "--host", "127.0.0.1",
                   "--port", str(self.port), "--data", str(self.data_dir)]
        self.log = open(self.data_dir.parent / f"server-{self.port}.log", "ab")
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                        preexec_fn=_die_with_parent, env={**os.environ})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"demo server exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("demo server did not become healthy in 30 s")
        self.accounts = json.loads((self.data_dir / "demo-accounts.json").read_text())
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def account(self, kind, hq="chitose"):
        """The first demo account of ``kind`` ("residents", "dispatchers", "admins") at ``hq``."""
        return next(a for a in self.accounts[kind] if a["hq"] == hq)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """One demo server for the whole session (tests create their own reports)."""
    server = LiveServer(tmp_path_factory.mktemp("live") / "demo").start()
    yield server
    server.stop()
