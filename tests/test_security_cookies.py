"""Behind HTTPS the session cookie is Secure without being told: a resident's 400-day login and a
console's session must never go over plain HTTP (a typed http:// address, a hostile Wi-Fi)."""
import shutil

import pytest

from app import create_app
from app.extensions import db

from .conftest import form_fields


@pytest.fixture
def make_app(tmp_path, seeded_database):
    """An app on its own copy of the seeded database, with ``config`` on top of the tests' own."""
    template, accounts = seeded_database

    def make(**config):
        path = tmp_path / f"net119-{len(list(tmp_path.iterdir()))}.sqlite3"
        shutil.copyfile(template, path)
        app = create_app({"SECRET_KEY": "test-secret", "TESTING": True, "DATABASE_URL": f"sqlite:///{path}",
                          **config})
        app.accounts = accounts
        return app
    yield make
    if not db.is_closed():
        db.close()


def login_cookies(app):
    """The Set-Cookie headers of a resident's login, by cookie name."""
    client = app.test_client()
    account = app.accounts["residents"][0]
    token = form_fields(client.get("/login"))["csrf_token"]
    answer = client.post("/login", data={"csrf_token": token, "login": account["login"],
                                         "password": account["password"]})
    assert answer.status_code == 303
    return {header.split("=", 1)[0]: header for header in answer.headers.getlist("Set-Cookie")}


def test_behind_https_the_session_cookie_is_secure_by_default(make_app):
    cookies = login_cookies(make_app(PUBLIC_URL="https://net119.example.jp"))
    assert "; Secure" in cookies["net119_session"]
    assert "; Secure" in cookies["net119_known_logins"]


def test_on_plain_http_the_demo_still_logs_in(make_app):
    cookies = login_cookies(make_app(PUBLIC_URL="http://127.0.0.1:8119"))
    assert "; Secure" not in cookies["net119_session"]


def test_an_operators_explicit_choice_stands(make_app):
    cookies = login_cookies(make_app(PUBLIC_URL="https://net119.example.jp", SESSION_COOKIE_SECURE=False))
    assert "; Secure" not in cookies["net119_session"]
