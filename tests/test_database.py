"""The SQLite settings the service relies on, and the health check."""
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
