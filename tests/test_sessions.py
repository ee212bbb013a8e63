"""Server-side sessions: renewed while in use, expired when idle, never a write on every request."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import WebSession, utcnow

from .conftest import login_as


def staff_account(app):
    return next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose")


def staff_session_row():
    with db.connection_context():
        return WebSession.get(WebSession.staff.is_null(False))


def set_remaining(row, remaining):
    with db.connection_context():
        WebSession.update(expires_at=utcnow() + remaining).where(WebSession.id == row.id).execute()


@pytest.fixture
def console(app, client):
    login_as(client, staff_account(app), path="/dispatch/login")
    client.get("/dispatch/")  # the first page after a login stores its CSRF token (a write anyway)
    return client


def test_a_console_in_use_is_renewed_so_a_24_hour_shift_is_not_logged_out(app, console):
    lifetime = app.config["STAFF_SESSION_LIFETIME"]
    row = staff_session_row()
    # Every request over a 24-hour shift, each a little over an eighth of the lifetime after
    # the last: had the session not been renewed, it would have ended after 14 hours.
    for _ in range(24 * 60 // 105):
        set_remaining(row, staff_session_row().expires_at - utcnow() - timedelta(minutes=105))
        response = console.get("/dispatch/")
        assert response.status_code == 200, "logged out in the middle of the shift"
    assert staff_session_row().expires_at - utcnow() > lifetime * 3 / 4


def test_a_console_is_renewed_once_a_quarter_of_its_lifetime_has_gone(app, console):
    lifetime = app.config["STAFF_SESSION_LIFETIME"]
    row = staff_session_row()
    set_remaining(row, lifetime * 3 / 4 - timedelta(minutes=1))
    response = console.get("/dispatch/")
    assert response.status_code == 200 and "net119_session=" in response.headers.get("Set-Cookie", "")
    renewed = staff_session_row().expires_at
    assert renewed - utcnow() > lifetime - timedelta(minutes=1)
    # The browser keeps the cookie as long as the server keeps the session.
    cookie = console.get_cookie("net119_session")
    assert abs((cookie.expires.replace(tzinfo=None) - renewed).total_seconds()) < 2


def test_a_fresh_console_session_is_not_written_on_every_request(app, console):
    lifetime = app.config["STAFF_SESSION_LIFETIME"]
    row = staff_session_row()
    set_remaining(row, lifetime - timedelta(minutes=30))
    before = staff_session_row().expires_at
    response = console.get("/dispatch/")
    assert response.status_code == 200 and "net119_session=" not in response.headers.get("Set-Cookie", "")
    assert staff_session_row().expires_at == before


def test_an_idle_console_still_expires(app, console):
    set_remaining(staff_session_row(), -timedelta(seconds=1))
    response = console.get("/dispatch/")
    assert response.status_code == 302 and "/dispatch/login" in response.headers["Location"]


def test_a_residents_session_is_still_renewed_at_most_once_a_day(app, client):
    login_as(client, app.accounts["residents"][0])
    client.get("/")
    lifetime = app.config["RESIDENT_SESSION_LIFETIME"]
    with db.connection_context():
        row = WebSession.get(WebSession.resident.is_null(False))
    for remaining, renewed in ((lifetime - timedelta(hours=23), False), (lifetime - timedelta(hours=25), True)):
        with db.connection_context():
            WebSession.update(expires_at=utcnow() + remaining).where(WebSession.id == row.id).execute()
        response = client.get("/")
        assert response.status_code == 200
        assert ("net119_session=" in response.headers.get("Set-Cookie", "")) is renewed
