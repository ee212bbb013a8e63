"""The floor for bench/realtime/run.py: a bare Flask + flask-sock relay, served like NET119.

Socket ``/pair/<n>/<side>`` (side ``a`` or ``b``): every text frame is echoed
back to its sender (the acknowledgement) and relayed to the other side of pair
``n``, if that side is connected. No database, no templates, no sessions: what
is left is Flask, flask-sock, simple-websocket and gunicorn's gevent worker,
with the same socket options and worker settings as ``net119 serve``.

With ``--store PATH`` every frame is first stored in an SQLite file with
NET119's durability settings (WAL, synchronous=FULL), in a transaction of its
own, and only then echoed and relayed: what storing before acknowledging
costs by itself, without the rest of NET119 (run.py ``--stored-floor``).

Run: python bench/realtime/echo_server.py --port 8120 --connections 1024 [--store relay.sqlite3]
"""
# Patched first, as `net119 serve` does (app/__init__.py): the floor runs on the same gevent worker.
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import sqlite3  # noqa: E402
import threading  # noqa: E402

from flask import Flask, request
from flask_sock import ConnectionClosed, Sock

# As in app/config.py, so that pings and frame limits cost the same.
SOCK_SERVER_OPTIONS = {"ping_interval": 25, "max_message_size": 16 * 1024}
SIDES = ("a", "b")


class Relay:
    """The connected sockets of each pair, and a send lock per socket."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pairs = {}
        # Two greenlets may send on one socket (its own echo, its partner's
        # relay); wsproto's frame state is not thread-safe.
        self._send_locks = {}

    def join(self, pair, side, ws):
        """Register ``ws`` as ``side`` of ``pair``."""
        with self._lock:
            self._pairs.setdefault(pair, {})[side] = ws
            self._send_locks[ws] = threading.Lock()

    def leave(self, pair, side, ws):
        """Forget ``ws``."""
        with self._lock:
            sockets = self._pairs.get(pair, {})
            if sockets.get(side) is ws:
                del sockets[side]
            if not sockets:
                self._pairs.pop(pair, None)
            self._send_locks.pop(ws, None)

    def send(self, ws, text):
        """Send ``text`` on ``ws`` unless it has closed meanwhile."""
        lock = self._send_locks.get(ws)
        if lock is None:
            return
        with lock:
            try:
                ws.send(text)
            except (ConnectionClosed, OSError):
                pass

    def partner(self, pair, side):
        """The other side's socket, or None."""
        with self._lock:
            return self._pairs.get(pair, {}).get(SIDES[1 - SIDES.index(side)])


class Store:
    """Each frame in a transaction of its own, committed (fsync'd) before it is relayed."""

    def __init__(self, path):
        # One connection for the process: an sqlite3 call never yields to another
        # greenlet, so no two of them can be inside a transaction at once.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode = wal", "synchronous = full", "busy_timeout = 10000"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE IF NOT EXISTS frame (id INTEGER PRIMARY KEY, pair INTEGER NOT NULL, "
                         "side TEXT NOT NULL, body TEXT NOT NULL)")

    def add(self, pair, side, text):
        self._db.execute("BEGIN IMMEDIATE")
        self._db.execute("INSERT INTO frame (pair, side, body) VALUES (?, ?, ?)", (pair, side, text))
        self._db.execute("COMMIT")


def create_app(store=None):
    """The relay app; with ``store`` (a Store), every frame is stored before it is relayed."""
    app = Flask(__name__)
    app.config["SOCK_SERVER_OPTIONS"] = SOCK_SERVER_OPTIONS
    sock = Sock(app)
    relay = Relay()

    @app.before_request
    def decline_compression():
        # As NET119 does (app/websockets.py): no permessage-deflate, whatever the client offers.
        request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)

    @app.get("/healthz")
    def healthz():
        return "ok"

    @sock.route("/pair/<int:pair>/<side>")
    def pair_socket(ws, pair, side):
        if side not in SIDES:
            ws.close(1008, "unknown side")
            return
        relay.join(pair, side, ws)
        try:
            while True:
                text = ws.receive()
                if store is not None:
                    store.add(pair, side, text)
                relay.send(ws, text)
                partner = relay.partner(pair, side)
                if partner is not None:
                    relay.send(partner, text)
        finally:
            relay.leave(pair, side, ws)

    return app


def serve(app, host, port, connections):
    """Serve ``app`` the way NET119 itself is served, so the floor differs only in the app."""
    from app.cli import serve_app

    serve_app(app, host, port, connections)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8120)
    parser.add_argument("--connections", type=int, default=1024)
    parser.add_argument("--store", metavar="PATH", help="store every frame in this SQLite file before relaying it")
    options = parser.parse_args()
    serve(create_app(Store(options.store) if options.store else None), options.host, options.port,
          options.connections)
