"""An open console page keeps its session: how often it asks comes from the server, derived from
the staff session's lifetime, so that the renewal always comes before the end (app/sessions.py)."""
import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import WebSession, utcnow
from app.sessions import keep_alive_every, renew_after

from .conftest import console_with_a_case

EVERY = re.compile(r'data-session-url="(/dispatch/session)" data-session-every-ms="(\d+)"')


def console_pages(app):
    """The queue page and a case page, as a logged-in dispatcher gets them."""
    console, report_id = console_with_a_case(app)
    return console, [console.get("/dispatch/"), console.get(f"/dispatch/cases/{report_id}")]


def test_both_console_pages_ask_for_their_session_well_before_it_would_be_renewed(app):
    _, pages = console_pages(app)
    lifetime = app.config["STAFF_SESSION_LIFETIME"]
    for page in pages:
        assert page.status_code == 200
        assert int(EVERY.search(page.text).group(2)) == (renew_after(lifetime) / 3) // timedelta(milliseconds=1)
    assert keep_alive_every(lifetime) * 3 == renew_after(lifetime) < lifetime


@pytest.mark.parametrize("lifetime", [12, timedelta(seconds=12)])
def test_a_lifetime_of_seconds_from_the_environment_sets_the_interval_and_the_session(app, lifetime):
    app.config["STAFF_SESSION_LIFETIME"] = lifetime  # NET119_STAFF_SESSION_LIFETIME=12 gives the number
    _, pages = console_pages(app)
    for page in pages:
        assert EVERY.search(page.text).group(2) == "1000"  # a third of a quarter of 12 s
    with db.connection_context():
        row = WebSession.get(WebSession.staff.is_null(False))
    assert timedelta(seconds=10) < row.expires_at - utcnow() <= timedelta(seconds=12)


def test_asking_for_the_session_renews_it_and_answers_nothing(app):
    console, _ = console_pages(app)
    lifetime = app.config["STAFF_SESSION_LIFETIME"]
    with db.connection_context():
        row = WebSession.get(WebSession.staff.is_null(False))
        WebSession.update(expires_at=utcnow() + lifetime / 2).where(WebSession.id == row.id).execute()
    response = console.get("/dispatch/session")
    assert response.status_code == 204 and response.data == b""
    assert "no-store" in response.headers["Cache-Control"]
    with db.connection_context():
        assert WebSession.get_by_id(row.id).expires_at - utcnow() > lifetime - timedelta(minutes=1)


def test_a_console_whose_session_has_ended_is_sent_to_the_login(app, client):
    response = client.get("/dispatch/session")
    assert response.status_code == 302 and "/dispatch/login" in response.headers["Location"]
