"""PostgreSQL's bounded connection pool (app/database.py) under the group commit's load (SPEC §9)."""
import threading
import time

from app import create_app, database
from app.database import GroupCommit
from app.extensions import db


def test_the_group_commit_stores_while_its_callers_hold_every_pooled_connection(postgres_database, monkeypatch):
    # Every socket sending a message holds a pooled connection (serve_socket) while it waits for
    # the group commit; the group commit's own thread needs one too. A burst of as many messages
    # as the pool holds, on a process whose group commit has no connection yet (just started, or
    # after a failed batch), must not wait for the pool's timeout and then fail every message.
    monkeypatch.setattr(database, "POSTGRES_POOL", 3)
    url, _ = postgres_database
    create_app({"DATABASE_URL": url, "SECRET_KEY": "test-secret"})

    def store(items):
        return [db.execute_sql("SELECT %s", (item,)).fetchone()[0] for item in items]

    writes = GroupCommit(db, db.atomic, store, lambda item: store([item])[0])
    everyone_holds_one = threading.Barrier(database.POSTGRES_POOL)
    results, errors = [], []

    def sender(number):
        try:
            with db.connection_context():
                db.execute_sql("SELECT 1")  # as a socket does: its frame is handled inside a connection
                everyone_holds_one.wait(10)
                results.append(writes.run(number))
        except Exception as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(error)

    started = time.monotonic()
    senders = [threading.Thread(target=sender, args=(n,)) for n in range(database.POSTGRES_POOL)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(30)
    elapsed = time.monotonic() - started
    db.close_all()
    assert errors == []
    assert sorted(results) == list(range(database.POSTGRES_POOL))
    assert elapsed < 5  # not the pool's 10 s wait
