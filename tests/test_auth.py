"""Logging in and out, and revocable server-side sessions."""
import pytest

from app.auth import end_sessions_of
from app.extensions import db
from app.models import Resident, Staff, WebSession

from .conftest import form_fields, login_as


def resident_account(app):
    return app.accounts["residents"][0]


def test_start_page_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_login_keeps_the_device_logged_in(app, client):
    response = login_as(client, resident_account(app))
    assert response.headers["Location"] == "/"
    cookie = client.get_cookie("net119_session")
    assert cookie is not None and cookie.expires is not None
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(app, client):
    page = client.get("/login")
    for login in ("chitose-taro", "nobody-here"):
        response = client.post("/login", data={"csrf_token": form_fields(page)["csrf_token"],
                                               "login": login, "password": "wrong"})
        assert response.status_code == 400
        assert "ログインIDまたはパスワードが違います" in response.text
        assert "エラー：" in response.text.split("</title>")[0]
        # Once in the summary, and not as a link to nowhere (it belongs to no field).
        summary = response.text.split('class="error-summary__list"')[1].split("</ul>")[0]
        assert summary.count("ログインIDまたはパスワードが違います") == 1 and 'href="#"' not in summary


def test_logout_ends_the_session_on_the_server(app, client):
    login_as(client, resident_account(app))
    token = client.get_cookie("net119_session").value
    page = client.get("/")
    client.post("/logout", data={"csrf_token": form_fields(page)["csrf_token"]})
    with db.connection_context():
        assert WebSession.select().where(WebSession.resident.is_null(False)).count() == 0
    # Replaying the old cookie does not bring the session back.
    client.set_cookie("net119_session", token)
    assert client.get("/").status_code == 302


def test_suspending_an_account_ends_its_sessions_at_once(app, client):
    login_as(client, resident_account(app))
    with db.connection_context():
        resident = Resident.get(Resident.login == "chitose-taro")
        resident.status = "suspended"
        resident.save()
        end_sessions_of(resident)
    assert client.get("/").status_code == 302


def test_a_suspended_resident_with_the_right_password_is_told_so_and_the_other_ways(app, client):
    """Told 「ログインIDまたはパスワードが違います」, a suspended resident in an emergency kept
    trying, and was then made to wait. After the right password (only the owner knows it) they
    are told plainly, with the other ways to call for help; a wrong one says what it always did."""
    account = resident_account(app)
    with db.connection_context():
        Resident.update(status="suspended").where(Resident.login == account["login"]).execute()
    page = client.get("/login")
    told = client.post("/login", data={"csrf_token": form_fields(page)["csrf_token"], **account})
    assert told.status_code == 403 and "利用が停止されている" in told.text and "FAXで119番" in told.text
    assert client.get("/").status_code == 302  # not let in
    wrong = client.post("/login", data={"csrf_token": form_fields(page)["csrf_token"],
                                        "login": account["login"], "password": "wrong-password"})
    assert "ログインIDまたはパスワードが違います" in wrong.text and "利用が停止" not in wrong.text


def test_a_deactivated_dispatcher_is_told_so_after_the_right_password(app, client):
    account = next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose")
    with db.connection_context():
        Staff.update(active=False).where(Staff.login == account["login"]).execute()
    page = client.get("/dispatch/login")
    told = client.post("/dispatch/login", data={"csrf_token": form_fields(page)["csrf_token"], **account})
    assert told.status_code == 403 and "無効になっています" in told.text
    assert client.get("/dispatch/").status_code == 302


def test_staff_login_goes_to_the_console(app, client):
    dispatcher = next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose")
    response = login_as(client, dispatcher, path="/dispatch/login")
    assert response.headers["Location"] == "/dispatch/"
    assert client.get("/dispatch/").status_code == 200
    assert client.get("/admin/").status_code == 403


HOSTILE_NEXT = ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "evil",
                # Browsers drop tabs and line breaks inside a URL: these are //evil.example to them.
                "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example",
                " //evil.example", "/\x00/evil.example"]


def log_in_asking_for(app, client, target):
    """Log the resident in from a page that asked to come back to ``target``."""
    account = resident_account(app)
    page = client.get("/login")
    return client.post("/login", query_string={"next": target}, data={
        "csrf_token": form_fields(page)["csrf_token"], "login": account["login"], "password": account["password"]})


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_a_login_never_redirects_off_site(app, client, target):
    response = log_in_asking_for(app, client, target)
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_a_login_goes_on_to_the_local_page_it_was_asked_for(app, client):
    assert log_in_asking_for(app, client, "/account/?done=x").headers["Location"] == "/account/?done=x"
