"""Opening the database named by ``DATABASE_URL`` with the settings the service relies on."""
from playhouse.db_url import connect

# WAL lets the console read while a resident writes; FULL makes a report that
# was acknowledged survive a power cut; foreign keys keep the ledger whole.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
}


def open_database(url):
    """Return an unconnected peewee database for ``url`` (sqlite:///path or postgresql://...)."""
    if url.startswith("sqlite:"):
        # Pooled: every request and socket step "opens" and "closes" a
        # connection; without a pool each burst would reopen the file, rerun
        # the pragmas, and checkpoint and delete the WAL when the last one closes.
        return connect("sqlite+pool:" + url.removeprefix("sqlite:"), pragmas=SQLITE_PRAGMAS,
                       timeout=10, check_same_thread=False, max_connections=None,
                       stale_timeout=300)
    return connect(url, autorollback=True)


def is_sqlite(database):
    """True when ``database`` (or the proxy's target) is SQLite."""
    target = getattr(database, "obj", database)
    return type(target).__name__.endswith("SqliteDatabase")
