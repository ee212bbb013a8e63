"""The LISTEN side of the PostgreSQL bridge: nothing sent before a process listened stays unseen (SPEC §9)."""
from app.realtime import LocalHub, Notice
from app.realtime_postgres import PostgresBridge

from .conftest import wait_for


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
        assert wait_for(lambda: Notice("hq:1:new") in seen)
    finally:
        hub.bridge_to(None)
    assert seen.count(Notice("hq:1:new")) == 1


def test_one_subscriber_that_fails_does_not_stop_the_listener_for_the_others(postgres_database):
    # The listener is a single thread per process: if one socket's handler raised into it, every
    # socket of the process would stop hearing the other processes, silently, until a restart.
    url, _ = postgres_database
    here, there = LocalHub(), LocalHub()
    here.bridge_to(PostgresBridge(url, here))
    there.bridge_to(PostgresBridge(url, there))
    seen = []

    def broken(notice):
        raise RuntimeError("a subscriber's bug")

    try:
        there.subscribe(["report:7"], broken)
        there.subscribe(["report:7"], seen.append)
        assert wait_for(lambda: (here.publish("report:7", 7, 42), any(n.seq == 42 for n in seen))[1])
        assert wait_for(lambda: (here.publish("report:7", 7, 43), any(n.seq == 43 for n in seen))[1])
    finally:
        here.bridge_to(None)
        there.bridge_to(None)
