"""Hub notices between app processes that share a PostgreSQL database: LISTEN/NOTIFY (SPEC §9).

Each process keeps its ``LocalHub`` for its own sockets (they still get the
rows in hand); the bridge also sends every notice to the other processes as a
NOTIFY, and hands theirs to the local subscribers. A payload is the channel,
the report id and the sequence number, never the message: the receiving
socket reads what is new from the ledger, as after any notice without rows.

A notification sent while a listener was not listening is lost: while it
was disconnected, and before its first LISTEN (a process's first socket
subscribes and reads the ledger before the listener it starts is in place).
So every time its LISTEN is in place the listener wakes every local
subscriber once, and each reads the ledger and the session as after any notice.
"""
import json
import logging
import os
import secrets
import select
import threading
import time
import weakref

from .database import postgres_connect_options
from .realtime import Notice

log = logging.getLogger(__name__)

PG_CHANNEL = "net119_hub"
# How long the listener waits before it checks that its connection is alive.
IDLE_CHECK_S = 30
RECONNECT_MAX_S = 5


_BRIDGES = weakref.WeakSet()


def _reset_after_fork():
    for bridge in list(_BRIDGES):
        bridge._reset()


os.register_at_fork(after_in_child=_reset_after_fork)


class PostgresBridge:
    """Carries a hub's notices to and from the other processes on one PostgreSQL database."""

    def __init__(self, url, hub):
        self._url, self._hub = url, hub
        self._reset()
        _BRIDGES.add(self)

    def _reset(self):
        # A forked worker inherits no thread, must not share the parent's connection
        # and is a process of its own: its own origin, since ours come back to us too
        # (the local subscribers already had them).
        self._origin = secrets.token_hex(8)
        self._lock = threading.Lock()
        self._sender = None
        self._listener = None
        self._closed = False

    def start(self):
        """Start listening (idempotent); called on a process's first subscription, after any fork."""
        with self._lock:
            if self._listener is None and not self._closed:
                self._listener = threading.Thread(target=self._listen, name="hub-listen", daemon=True)
                self._listener.start()

    def close(self):
        """Stop listening and sending (the app that made it is going away)."""
        with self._lock:
            self._closed = True
            if self._sender is not None:
                self._sender.close()
                self._sender = None

    def send(self, notice):
        """NOTIFY the other processes of ``notice`` (its channel, report id and sequence number)."""
        payload = json.dumps([self._origin, notice.channel, notice.report_id, notice.seq])
        import psycopg2  # here, not at the top: only PostgreSQL deployments install it

        for attempt in (1, 2):  # a connection that broke since the last notice is replaced once
            try:
                with self._lock:
                    if self._closed:
                        return
                    if self._sender is None or self._sender.closed:
                        self._sender = psycopg2.connect(self._url, **postgres_connect_options(self._url))
                        self._sender.autocommit = True
                    with self._sender.cursor() as cursor:
                        cursor.execute("SELECT pg_notify(%s, %s)", (PG_CHANNEL, payload))
                return
            except psycopg2.Error:
                with self._lock:
                    if self._sender is not None:
                        self._sender.close()
                        self._sender = None
                if attempt == 2:
                    # The other processes' sockets catch up at their next notice or reconnect.
                    log.exception("a hub notice could not be sent to the other processes")

    def _listen(self):
        import psycopg2

        delay = 0.1
        while not self._closed:
            connection = None
            try:
                connection = psycopg2.connect(self._url, **postgres_connect_options(self._url))
                connection.autocommit = True
                with connection.cursor() as cursor:
                    cursor.execute(f"LISTEN {PG_CHANNEL}")
                self._hub.wake_all()
                delay = 0.1
                while not self._closed:
                    # select() is gevent's under `net119 serve`: the loop goes on meanwhile.
                    if select.select([connection], [], [], IDLE_CHECK_S)[0]:
                        connection.poll()
                    else:
                        with connection.cursor() as cursor:
                            cursor.execute("SELECT 1")  # a dead connection raises here
                    while connection.notifies:
                        self._receive(connection.notifies.pop(0).payload)
            except (psycopg2.Error, OSError, ValueError):
                if not self._closed:
                    log.warning("hub listener lost PostgreSQL; reconnecting in %.1f s", delay, exc_info=True)
                    time.sleep(delay)
                    delay = min(delay * 2, RECONNECT_MAX_S)
            finally:
                if connection is not None:
                    connection.close()

    def _receive(self, payload):
        try:
            origin, channel, report_id, seq = json.loads(payload)
        except (ValueError, TypeError):
            log.warning("hub notification not understood: %.200r", payload)
            return
        if origin != self._origin and isinstance(channel, str):
            self._hub.deliver(Notice(channel, report_id if isinstance(report_id, int) else None,
                                     seq if isinstance(seq, int) else None))
