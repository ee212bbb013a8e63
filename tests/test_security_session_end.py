"""A session ended while one of its requests is still being answered stays ended.

The lost-phone case (SPEC §7.6): the resident logs out every other device, or changes the
password, from a new phone, while the lost one has a request in flight (its chat socket is
one request that lasts as long as the socket, and is closed by that very logout). The answer
to that request must not write the session back.
"""
from datetime import timedelta

import pytest

from app.auth import end_sessions_of
from app.extensions import db
from app.models import Resident, WebSession, utcnow
from app.sessions import token_hash

from .conftest import login_as


@pytest.fixture
def phone(app):
    """A resident's phone, with a view standing for a request in flight when the logout comes."""
    def meanwhile_logged_out_elsewhere():
        end_sessions_of(Resident.get(Resident.login == "chitose-taro"))
        return "", 204

    app.add_url_rule("/_test/meanwhile-logged-out", view_func=meanwhile_logged_out_elsewhere)
    client = app.test_client()
    login_as(client, app.accounts["residents"][0])
    return client


def age_sessions(by):
    with db.connection_context():
        for row in WebSession.select():
            WebSession.update(expires_at=row.expires_at - by).where(WebSession.id == row.id).execute()


@pytest.mark.parametrize("last_renewed", [timedelta(0), timedelta(days=2)], ids=["fresh", "due-for-renewal"])
def test_a_request_in_flight_does_not_bring_an_ended_session_back(phone, last_renewed):
    token = phone.get_cookie("net119_session").value
    age_sessions(last_renewed)
    answer = phone.get("/_test/meanwhile-logged-out")
    assert answer.status_code == 204
    with db.connection_context():
        assert not WebSession.select().where(WebSession.id == token_hash(token)).exists()
    # Nor does the phone get a fresh lease of the dead token.
    assert "net119_session=" + token not in answer.headers.get("Set-Cookie", "")
    assert phone.get("/account/").status_code == 302


def test_a_session_still_in_use_is_renewed_as_before(phone):
    token = phone.get_cookie("net119_session").value
    age_sessions(timedelta(days=2))
    answer = phone.get("/account/")
    assert answer.status_code == 200
    assert "net119_session=" + token in answer.headers.get("Set-Cookie", "")
    with db.connection_context():
        assert WebSession.get_by_id(token_hash(token)).expires_at > utcnow() + timedelta(days=399)
