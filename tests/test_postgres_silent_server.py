"""A PostgreSQL address that accepts connections and never answers (a hung server, a proxy whose
database is gone): every wait for it ends, with the outage said, instead of hanging for ever."""
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from app import database
from app.realtime import LocalHub, Notice
from app.realtime_postgres import PostgresBridge

from .conftest import ROOT


@pytest.fixture
def silent_server():
    """A postgresql:// URL whose server accepts every connection and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"postgresql://net119@127.0.0.1:{listener.getsockname()[1]}/net119"
    stop.set()
    listener.close()
    for connection in accepted:
        connection.close()


def test_migrate_against_a_server_that_never_answers_stops_and_says_so(silent_server):
    env = {**os.environ, "NET119_DATABASE_URL": silent_server, "NET119_SECRET_KEY": "silent-test"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "app", "migrate"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "cannot be reached" in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < database.POSTGRES_CONNECT_TIMEOUT_S + 15


def test_a_hub_notice_to_a_server_that_never_answers_does_not_hold_up_its_publisher(silent_server):
    # The publisher is a resident's socket that just stored a message: it must go on (and every
    # other publisher of the process, which waits for the same sender) once the wait is over.
    hub = LocalHub()
    hub.bridge_to(PostgresBridge(silent_server, hub))
    seen = []
    hub.subscribe(["report:1"], seen.append)
    sender = threading.Thread(target=hub.publish, args=("report:1", 1, 1), daemon=True)
    sender.start()
    sender.join(database.POSTGRES_CONNECT_TIMEOUT_S * 2 + 10)  # two tries, each its own connection
    assert not sender.is_alive()
    hub.bridge_to(None)  # (waits for the sender: after the assertion, or a failure would hang here)
    assert seen == [Notice("report:1", 1, 1)]  # the process's own sockets were told at once


CONNECT_IN_THE_LOOP = """
import json, sys, time
from app.database import open_database
database = open_database(sys.argv[1])
started = time.monotonic()
try:
    database.execute_sql("SELECT 1")
    outcome = "answered"
except Exception as error:
    outcome = type(error).__name__
print(json.dumps([outcome, time.monotonic() - started]))
"""


def test_a_connection_made_in_the_gevent_loop_also_stops_waiting(silent_server):
    # As in `net119 serve`: psycopg2 connects inside the loop there (psycogreen), where libpq
    # itself ignores connect_timeout; the wait must end all the same.
    env = {**os.environ, "NET119_GEVENT": "1"}
    out = subprocess.run([sys.executable, "-c", "import app\n" + CONNECT_IN_THE_LOOP, silent_server], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=database.POSTGRES_CONNECT_TIMEOUT_S + 30)
    assert out.returncode == 0, out.stderr
    outcome, waited = json.loads(out.stdout)
    assert outcome == "OperationalError" and waited < database.POSTGRES_CONNECT_TIMEOUT_S + 5
