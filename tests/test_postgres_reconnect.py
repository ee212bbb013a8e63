"""What a PostgreSQL restart or failover leaves behind in an app process (SPEC §9)."""
import psycopg2

from app import create_app
from app.database import GroupCommit
from app.extensions import db
from app.realtime import hub


def _cut_every_connection_but_ours(url):
    """What a server restart or failover does to an app's connections."""
    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        cut = cursor.fetchone()[0]
    connection.close()
    return cut


def test_the_first_write_after_the_database_restarted_is_stored(postgres_database):
    # The group commit keeps its connection between batches. After a restart of the server
    # (maintenance, a failover) that connection is dead: the next resident's message must be
    # stored on a new one, not refused (and its socket closed) because of the old one.
    url, _ = postgres_database
    create_app({"DATABASE_URL": url, "SECRET_KEY": "test-secret"})

    def store(items):
        return [db.execute_sql("SELECT %s", (item,)).fetchone()[0] for item in items]

    writes = GroupCommit(db, db.atomic, store, lambda item: store([item])[0])
    try:
        assert writes.run("before") == "before"
        assert _cut_every_connection_but_ours(url) >= 1
        assert writes.run("after") == "after"
    finally:
        db.close_all()
        hub.bridge_to(None)  # the app's, before its database is dropped
