"""``net119 migrate`` on PostgreSQL (SPEC §9): from an empty database, again, and with the database down."""
import os
import subprocess
import sys

from .conftest import ROOT, free_port


def _net119(*arguments, url):
    env = {**os.environ, "NET119_DATABASE_URL": url, "NET119_SECRET_KEY": "migrate-test"}
    return subprocess.run([sys.executable, "-m", "app", *arguments], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_migrate_applies_every_migration_to_an_empty_database_then_nothing(postgres_server):
    postgres_server.execute("CREATE DATABASE migrate_empty")
    try:
        first = _net119("migrate", url=postgres_server.url("migrate_empty"))
        assert first.returncode == 0, first.stderr
        assert first.stdout.startswith("applied: 001_initial")
        again = _net119("migrate", url=postgres_server.url("migrate_empty"))
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip() == "the database is up to date"
    finally:
        postgres_server.execute("DROP DATABASE migrate_empty WITH (FORCE)")


def test_migrate_with_the_database_down_says_so_without_a_traceback():
    # The operator's first command of a deployment: a server not started yet, a wrong port.
    down = _net119("migrate", url=f"postgresql://net119@127.0.0.1:{free_port()}/net119")
    assert down.returncode == 1
    assert "Traceback" not in down.stderr
    assert "cannot be reached" in down.stderr and "Connection refused" in down.stderr
