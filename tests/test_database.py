"""The SQLite settings the service relies on, the health check, and the pages for database errors."""
import pytest
from peewee import DataError, IntegrityError, InterfaceError, OperationalError

from app.extensions import db


def test_sqlite_runs_in_wal_with_full_sync_and_foreign_keys(app):
    with db.connection_context():
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_healthz_is_503_when_the_database_cannot_be_opened(tmp_path):
    from app import create_app

    broken = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}",
                         "SECRET_KEY": "x"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": False}


def test_a_page_during_a_database_outage_explains_and_shows_the_other_ways(tmp_path):
    from app import create_app

    # CSRF off only because its token lives in the (unreachable) session store.
    broken = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}",
                         "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False})
    client = broken.test_client()
    client.set_cookie("net119_session", "a-token-from-before-the-outage")
    response = client.post("/login", data={"login": "chitose-taro", "password": "secret"})
    assert response.status_code == 503
    assert "ほかの方法で通報してください" in response.text and "FAX" in response.text


@pytest.mark.parametrize("error, code, logged", [
    (OperationalError("database is locked"), 503, "database unavailable on GET /broken"),
    (InterfaceError("connection already closed"), 503, "database unavailable on GET /broken"),
    (IntegrityError("NOT NULL constraint failed: resident.phone"), 500, "unexpected error on GET /broken"),
    (DataError("value too long"), 500, "unexpected error on GET /broken"),
])
def test_only_an_outage_is_called_an_outage(app, caplog, error, code, logged):
    """A database that cannot be reached is an outage (503, "call another way"); a rejected
    statement is a bug in this service (500), and its log entry must not send whoever reads it
    looking for a database that is down."""
    @app.get("/broken")
    def broken():
        raise error

    response = app.test_client().get("/broken")
    assert response.status_code == code
    assert "FAX" in response.text  # both pages name the other ways to call
    assert logged in caplog.text and "Traceback" in caplog.text
