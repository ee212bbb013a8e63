"""Connections to PostgreSQL find a silently dropped network within about a minute (TCP keepalives):
the listener's connection is idle by design, and without them would wait for ever."""
import psycopg2

from app.database import open_database, postgres_connect_options

KEEPALIVES = {"keepalives": "1", "keepalives_idle": "30", "keepalives_interval": "10", "keepalives_count": "3"}


def test_every_connection_to_postgresql_asks_for_keepalives(postgres_database):
    url, _ = postgres_database
    database = open_database(url)  # the pool every request and socket uses
    try:
        pooled = database.connection().get_dsn_parameters()
    finally:
        database.close()
    listener = psycopg2.connect(url, **postgres_connect_options(url))  # as app/realtime_postgres.py connects
    try:
        direct = listener.get_dsn_parameters()
    finally:
        listener.close()
    for parameters in (pooled, direct):
        assert {name: parameters.get(name) for name in KEEPALIVES} == KEEPALIVES


def test_an_operators_own_setting_in_the_url_wins():
    options = postgres_connect_options("postgresql://net119@db/net119?keepalives_idle=120&connect_timeout=2")
    assert "keepalives_idle" not in options and "connect_timeout" not in options
    assert options["keepalives_interval"] == 10
