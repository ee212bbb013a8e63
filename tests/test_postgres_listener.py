"""The LISTEN side of the PostgreSQL bridge: nothing sent before a process listened stays unseen (SPEC §9)."""
import time

from app.realtime import LocalHub, Notice
from app.realtime_postgres import PostgresBridge


def _wait_for(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_sockets_subscribed_before_the_first_listen_read_the_ledger_once_it_listens(postgres_database):
    # A process's first socket (a console just after a deploy, its case queue) subscribes, reads
    # the ledger, and starts the listener. A report or message another process commits before
    # that LISTEN is in place sends a NOTIFY nobody here hears: the socket must read again once
    # the listener is up, as after any reconnect, or the new case never shows on its queue.
    url, _ = postgres_database
    hub = LocalHub()
    hub.bridge_to(PostgresBridge(url, hub))
    seen = []
    try:
        hub.subscribe(["hq:1:new"], seen.append)
        assert _wait_for(lambda: Notice("hq:1:new") in seen)
    finally:
        hub.bridge_to(None)
    assert seen.count(Notice("hq:1:new")) == 1
