"""Opening the database named by ``DATABASE_URL`` with the settings the service relies on."""
import collections
import logging
import os
import threading
from urllib.parse import urlsplit

from peewee import OperationalError
from playhouse.db_url import connect, register_database
from playhouse.pool import MaxConnectionsExceeded, PooledPostgresqlDatabase

log = logging.getLogger(__name__)

# WAL lets the console read while a resident writes; FULL makes a report that
# was acknowledged survive a power cut; foreign keys keep the ledger whole.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
}


# Connections one app process keeps to PostgreSQL (the server's default max_connections is 100).
POSTGRES_POOL = 20
# How long a request or socket step waits for one of them to be free.
POSTGRES_POOL_WAIT_S = 10
# How long opening a connection may take (libpq waits for ever by default).
POSTGRES_CONNECT_TIMEOUT_S = 5
# A connection the network dropped without a word (a failover, a firewall or NAT that forgot
# it) is found dead after about a minute of silence, not the hours an idle TCP connection can
# wait: above all the listener's (app/realtime_postgres.py), idle by design, whose process
# would otherwise hear nothing from the other processes, and so show no message of theirs.
POSTGRES_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}


def open_database(url):
    """Return an unconnected peewee database for ``url`` (sqlite:///path or postgresql://...).

    ValueError, saying what is expected, for any other URL (SPEC §9 names only these two).
    """
    wrong = database_url_problem(url)
    if wrong:
        raise ValueError(" / ".join(wrong))
    if url.startswith("sqlite:"):
        # Pooled: every request and socket step "opens" and "closes" a
        # connection; without a pool each burst would reopen the file, rerun
        # the pragmas, and checkpoint and delete the WAL when the last one closes.
        return connect("sqlite+pool:" + url.removeprefix("sqlite:"), pragmas=SQLITE_PRAGMAS,
                       timeout=10, check_same_thread=False, max_connections=None,
                       stale_timeout=300)
    # Pooled too: a PostgreSQL connection is a server process of its own, and opening one per
    # request or socket step cost the server more CPU than the queries (bench/realtime --postgres).
    # At most POSTGRES_POOL connections per app process (and the group commit's own, beyond
    # them); one more request waits for a free one.
    # (peewee runs PostgreSQL in autocommit mode: a failed statement leaves no aborted transaction.)
    rest = url.split("://", 1)[1]
    return connect(f"{POSTGRES_POOL_SCHEME}://{rest}", max_connections=POSTGRES_POOL, stale_timeout=300,
                   timeout=POSTGRES_POOL_WAIT_S, **postgres_connect_options(url))


def database_location(url):
    """Where ``url``'s data is, for an operator to read: a SQLite file's path, or PostgreSQL's host, port and database."""
    if url.startswith("sqlite:"):
        return urlsplit(url).path[1:] or ":memory:"  # as peewee reads the URL
    return f"PostgreSQL {_postgres_where(url)}"


def database_url_problem(url, setting="DATABASE_URL"):
    """None for a URL open_database can use; else what is wrong with it, in Japanese and in English."""
    url = url if isinstance(url, str) else ""
    scheme = url.split(":", 1)[0] if ":" in url else ""
    if scheme in ("sqlite", "postgresql", "postgres") and url.startswith(f"{scheme}://"):
        try:
            urlsplit(url).port
        except ValueError:
            return (f"データベースの URL（NET119_{setting}）のポートは数字にしてください。例：postgresql://user@host:5432/database",
                    f"the port in the database URL (NET119_{setting}) must be a number, "
                    "e.g. postgresql://user@host:5432/database")
        return None
    # Only the scheme is repeated: the rest of a URL may hold a password.
    found = scheme or "one without a scheme"
    return (f"データベースの URL（NET119_{setting}）は sqlite:////path/to/file.sqlite3 か "
            f"postgresql://user@host/database の形にしてください（今は {found!r}）。",
            f"a database URL (NET119_{setting}) must be sqlite:////path/to/file.sqlite3 "
            f"or postgresql://user@host/database, not {found!r}")


class DatabaseProblem(collections.namedtuple("DatabaseProblem", "ja en lasting")):
    """What an operator reads when the database failed, in Japanese and English.

    ``lasting`` is true when waiting will not help (a damaged file, a refused
    login): the server refuses to start on it rather than answer 503 for ever.
    """

    def __str__(self):
        return f"{self.ja} / {self.en}"


# sqlite3's and libpq's own words (they do not change between releases), most telling first.
_SQLITE_PROBLEMS = (
    (("file is not a database", "malformed"), True,
     "{where} は SQLite のデータベースではないか、壊れています。バックアップから戻すか、NET119_DATABASE_URL で"
     "正しいファイルを指定してください。",
     "{where} is not a SQLite database, or it is damaged: restore it from a backup, or point "
     "NET119_DATABASE_URL at the right file."),
    (("database or disk is full", "disk i/o error"), False,
     "{where} のディスクに書き込めません（いっぱいか、故障しています）。空きを作るか、ディスクを確かめてください。",
     "cannot write to the disk of {where} (it is full, or failing): free some space, or check the disk."),
    (("readonly database",), False,
     "{where} は読み取り専用です。このユーザーがファイルとそのフォルダーに書き込めるようにしてください。",
     "{where} is read-only: let this user write to the file and to its folder."),
    (("database is locked",), False,
     "{where} は別のプロセスが書き込み中でロックされています（別の net119 migrate やサーバーなど）。"
     "それが終わってから、もう一度実行してください。",
     "{where} is locked by another process writing to it (another net119 migrate, a server): "
     "run this again once it is done."),
    (("unable to open database file",), False,
     "{where} を開けません。フォルダーがあり、このユーザーがそこに書き込めるか確かめてください。",
     "cannot open {where}: check that its folder exists and that this user may write in it."),
)
_POSTGRES_REFUSALS = ("password authentication failed", "does not exist", "no pg_hba.conf entry",
                      "permission denied", "invalid ", "unrecognized")


def database_problem(error, url):
    """The operator's reading of ``error`` from the database at ``url`` (a DatabaseProblem).

    The cause is looked for along the chain too: a failed COMMIT on a full disk
    surfaces as "cannot rollback - no transaction is active".
    """
    words, cause = [], error
    while cause is not None:
        words.append(" ".join(str(cause).split()))
        cause = cause.__context__
    said = " ".join(words)
    if url.startswith("sqlite:"):
        where = url.split(":///", 1)[-1]
        for needles, lasting, ja, en in _SQLITE_PROBLEMS:
            if any(needle in said.lower() for needle in needles):
                return DatabaseProblem(ja.format(where=where), en.format(where=where) + f" ({words[-1]})", lasting)
        return DatabaseProblem(f"{where} を使えません（{words[0]}）。", f"cannot use {where} ({words[0]})", False)
    where = _postgres_where(url)
    if any(refusal in said for refusal in _POSTGRES_REFUSALS):
        return DatabaseProblem(
            f"PostgreSQL（{where}）が接続を断りました。NET119_DATABASE_URL のユーザー名・パスワード・データベース名を"
            f"確かめてください（{words[0]}）。",
            f"PostgreSQL at {where} refused the connection: check the user, password and database name in "
            f"NET119_DATABASE_URL ({words[0]})", True)
    return DatabaseProblem(
        f"PostgreSQL（{where}）に接続できません。サーバーが動いているか、NET119_DATABASE_URL のホスト名とポートを"
        f"確かめてください（{words[0]}）。",
        f"the database cannot be reached at {where}: check that PostgreSQL runs there, and the host and port "
        f"in NET119_DATABASE_URL ({words[0]})", False)


def _postgres_where(url):
    """host:port/database of a PostgreSQL URL, never its password."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.hostname or 'localhost'}:{port or 5432}{parts.path}"


def postgres_connect_options(url):
    """psycopg2.connect's options for every connection to ``url``: a bounded wait to connect,
    and TCP keepalives (POSTGRES_KEEPALIVES).

    A server that accepts and never answers (hung, or a proxy whose database is gone) would
    otherwise hold the caller for ever: the pool opens connections under its lock, so every
    request of the process with it. An option given in the URL wins.
    """
    options = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S, **POSTGRES_KEEPALIVES}
    return {name: value for name, value in options.items() if f"{name}=" not in url}


class PostgresPool(PooledPostgresqlDatabase):
    """PostgreSQL's bounded pool, with room beyond the bound for the thread the others wait on."""

    def connect(self, reuse_if_open=False):
        """Take a pooled connection; OperationalError when none came free in time.

        Every connection busy for the whole wait (a long transaction, a slow
        server) is the database being unavailable to this request, answered
        as any outage is (503, the other ways to call), not a bug in it
        (the pool's own MaxConnectionsExceeded is a ValueError).
        """
        try:
            return super().connect(reuse_if_open)
        except MaxConnectionsExceeded as error:
            raise OperationalError(f"every pooled connection is busy: {error}") from error

    _beyond_limit = threading.local()

    def connect_beyond_limit(self):
        """Connect this thread even when every pooled connection is taken.

        For the group commit: its callers hold their connections while they
        wait for it, so a connection it asked the pool for could come only
        after the pool's timeout, and every caller would fail.
        """
        self._beyond_limit.active = True
        try:
            return self.connect()
        finally:
            self._beyond_limit.active = False

    def _connect(self):
        # The pool's lock is taken inside the database's own, as peewee does: never the other way round.
        if not getattr(self._beyond_limit, "active", False):
            return super()._connect()
        with self._pool_lock:
            limit, self._max_connections = self._max_connections, None
            try:
                return super()._connect()
            finally:
                self._max_connections = limit


POSTGRES_POOL_SCHEME = "postgresql+net119pool"
register_database(PostgresPool, POSTGRES_POOL_SCHEME)


def wait_in_the_gevent_loop(connection, timeout=None):
    """psycogreen's wait for psycopg2 in the gevent loop, with connect_timeout kept.

    Made in the loop, a connection is libpq's asynchronous kind, for which libpq
    ignores connect_timeout: here the wait for a new connection ends after it.
    """
    import psycopg2
    from gevent import Timeout
    from psycogreen.gevent import gevent_wait_callback

    if connection.status != psycopg2.extensions.STATUS_SETUP:
        return gevent_wait_callback(connection, timeout)
    seconds = psycopg2.extensions.parse_dsn(connection.dsn).get("connect_timeout")
    expired = psycopg2.OperationalError("timeout expired (connecting)")
    with Timeout(float(seconds) if seconds else None, expired):
        return gevent_wait_callback(connection, timeout)


def is_sqlite(database):
    """True when ``database`` (or the proxy's target) is SQLite."""
    target = getattr(database, "obj", database)
    return type(target).__name__.endswith("SqliteDatabase")


class GroupCommit:
    """Writes from many sockets stored together: one transaction, so one fsync, per batch.

    With ``synchronous=FULL`` a commit waits for the disk, and SQLite has one
    writer at a time, so writers committing one by one queue behind each other.
    Here a single thread (a greenlet under ``net119 serve``) takes whatever has queued, hands it to ``store``
    (items -> a result for each) and commits once. ``run`` returns only after
    that COMMIT did, so nothing is acknowledged before it is durable. When
    ``store`` raises, the batch is rolled back and every item is stored on its
    own by ``store_one`` (item -> its result, or the exception it failed with),
    each in a transaction of its own: one bad item fails only itself.

    ``tell`` is ``(key, announce)`` for what must be told once per batch,
    however many of its items it concerns: of the items stored with the same
    ``key(item, result)`` (None: nothing to tell), the caller of the last one
    calls ``announce(item, result)`` once the batch committed.
    """

    def __init__(self, database, transaction, store, store_one, max_batch=200, tell=None):
        self._database, self._transaction = database, transaction
        self._store, self._store_one = store, store_one
        self._max_batch = max_batch
        self._tell_key, self._announce = tell or (None, None)
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self):
        # A forked worker inherits no running thread: start afresh there.
        self._queue = collections.deque()
        self._ready = threading.Condition()
        self._thread = None

    def run(self, item):
        """Store ``item`` with whatever else is queued; return its result once that has committed.

        Inside the caller's own transaction it is stored there, and nothing is told
        (``tell``): nothing is committed yet.
        """
        if self._database.in_transaction():
            job = _Job(item)  # inside the caller's own transaction, which commits it
            job.settle(self._store_one(item))
            return job.outcome()
        job = _Job(item)
        with self._ready:
            self._queue.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="group-commit", daemon=True)
                self._thread.start()
            self._ready.notify()
        job.done.wait()
        result = job.outcome()
        if job.tells:
            # Here, in the caller's thread: the group commit's own goes on to the next batch.
            self._announce(item, result)
        return result

    def _serve(self):
        while True:
            with self._ready:
                while not self._queue:
                    self._ready.wait()
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), self._max_batch))]
            try:
                # This thread keeps its connection. The callers waiting for it hold theirs,
                # and PostgreSQL's pool is bounded: this one is taken beyond the bound, or it
                # could wait behind them until the pool's timeout failed them all.
                self._connect()
                items = [job.item for job in batch]
                results = self._commit(items)
                if any(isinstance(result, Exception) for result in results) and self._connection_lost():
                    # The kept connection died since the last batch (a PostgreSQL restart, a
                    # failover): once more on a new one. Nothing reached the database through
                    # the dead one, or the writes are found again (store_one follows a batch
                    # whose COMMIT may have gone through in any case).
                    self._database.close()
                    self._connect()
                    failed = [index for index, result in enumerate(results) if isinstance(result, Exception)]
                    for index, result in zip(failed, self._commit([items[index] for index in failed])):
                        results[index] = result
                if any(isinstance(result, Exception) for result in results):
                    self._database.close()  # perhaps broken (a server restart): the next batch reconnects
                for job, result in zip(batch, results):
                    job.settle(result)
            except Exception as error:  # noqa: BLE001 (the connection could not be made)
                log.exception("the group commit could not reach the database")
                for job in batch:
                    job.settle(error)
            finally:
                self._choose_tellers(batch)
                for job in batch:
                    job.done.set()

    def _connect(self):
        if self._database.is_closed():
            target = getattr(self._database, "obj", self._database)
            getattr(target, "connect_beyond_limit", target.connect)()

    def _connection_lost(self):
        """True when the kept connection is closed under us (psycopg2 says so; sqlite3 has no such state)."""
        return bool(getattr(self._database.connection(), "closed", 0))

    def _choose_tellers(self, batch):
        """Mark the last stored job of each ``tell`` key in ``batch``: its caller tells."""
        if self._tell_key is None:
            return
        last = {}
        try:
            for job in batch:
                if job.error is None:
                    key = self._tell_key(job.item, job.result)
                    if key is not None:
                        last[key] = job
        except Exception:  # noqa: BLE001 (stored all the same: its callers must not wait for ever)
            log.exception("could not choose who tells of a batch")
            return
        for job in last.values():
            job.tells = True

    def commit(self, items):
        """Store ``items`` and commit: a result, or the exception it failed with, for each."""
        with self._database.connection_context():
            return self._commit(items)

    def _commit(self, items):
        try:
            with self._transaction():
                return self._store(items)
        except Exception as error:  # noqa: BLE001 (rolled back: nothing of the batch is stored)
            # Usually a retry of something already stored; _commit_one logs real failures.
            log.debug("a batch of %d writes is stored one by one: %r", len(items), error)
        return [self._commit_one(item) for item in items]

    def _commit_one(self, item):
        try:
            with self._transaction():
                return self._store_one(item)
        except Exception as error:  # noqa: BLE001 (the commit failed: nothing of it is stored)
            log.exception("a write could not be committed")
            return error


class _Job:
    """One queued item and, once its batch committed, its result or error."""

    __slots__ = ("item", "result", "error", "done", "tells")

    def __init__(self, item):
        self.item, self.result, self.error = item, None, None
        self.done = threading.Event()
        self.tells = False

    def settle(self, result):
        if isinstance(result, Exception):
            self.error = result
        else:
            self.result = result

    def outcome(self):
        if self.error is not None:
            raise self.error
        return self.result
