"""PostgreSQL's bounded connection pool (app/database.py) under the group commit's load (SPEC §9)."""
import threading
import time

from app import create_app, database
from app.database import GroupCommit
from app.extensions import db
from app.realtime import hub


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
    hub.bridge_to(None)  # the app's, before its database is dropped
    assert errors == []
    assert sorted(results) == list(range(database.POSTGRES_POOL))
    assert elapsed < 5  # not the pool's 10 s wait


def test_a_request_that_finds_every_pooled_connection_busy_is_an_outage_not_a_bug(postgres_database, monkeypatch):
    # Every connection held past the pool's wait (a long transaction, a slow server): the health
    # check says the database is unavailable, and a page says to call another way (503), as for
    # any database that cannot be reached, instead of "something went wrong" (500).
    monkeypatch.setattr(database, "POSTGRES_POOL", 1)
    monkeypatch.setattr(database, "POSTGRES_POOL_WAIT_S", 0.5)
    url, _ = postgres_database
    # CSRF off only because its token lives in the (unreachable) session store.
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    holding, done = threading.Event(), threading.Event()

    def hold_the_only_connection():
        with db.connection_context():
            db.execute_sql("SELECT 1")
            holding.set()
            done.wait(30)

    holder = threading.Thread(target=hold_the_only_connection)
    holder.start()
    try:
        assert holding.wait(10)
        health = app.test_client().get("/healthz")
        page = app.test_client().post("/login", data={"login": "chitose-taro", "password": "secret"})
    finally:
        done.set()
        holder.join(10)
        db.close_all()
        hub.bridge_to(None)
    assert health.status_code == 503 and health.json == {"status": "unavailable", "database": False}
    assert page.status_code == 503 and "ほかの方法で通報してください" in page.text
