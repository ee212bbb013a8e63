"""The resident's two taps and chat over plain HTTP, and bad input refused with nothing stored."""
import re

import pytest

from app.extensions import db
from app.models import Report, ReportEvent

from .conftest import form_fields, login_as, start_report

# Each test here that uses the app runs on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


@pytest.fixture
def resident_client(app, client):
    login_as(client, app.accounts["residents"][0])
    return client


def count(model):
    with db.connection_context():
        return model.select().count()


def test_second_tap_creates_the_report_and_opens_the_chat(resident_client):
    response = start_report(resident_client, kind="ambulance", place="current")
    assert response.status_code == 303
    chat = resident_client.get(response.headers["Location"])
    assert chat.status_code == 200
    with db.connection_context():
        report = Report.get()
    assert report.case_number in chat.text and "千歳市消防本部" in chat.text
    assert report.kind == "ambulance" and report.municipality_code == "01224"
    assert report.receiving_hq.code == "chitose"


def test_a_position_of_0_0_is_taken_as_no_position(resident_client):
    """Broken location stacks send 0,0 for "no fix". Routing already reads it so; it was
    stored as the report's place all the same (the console's map pinned the Gulf of Guinea),
    and the first real fix then never set the place, as the report seemed to have one."""
    response = start_report(resident_client, place="current", lat="0", lon="0", accuracy="0")
    assert response.status_code == 303
    with db.connection_context():
        report = Report.get()
    assert report.lat is None and report.lon is None and report.routing_outcome == "no_fix"


def test_the_same_tap_twice_creates_one_report(resident_client):
    page = resident_client.get("/?kind=fire")
    data = {**form_fields(page), "kind": "fire", "place": "home"}
    first = resident_client.post("/reports", data=data)
    second = resident_client.post("/reports", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Report) == 1


def test_message_without_javascript_is_stored_and_shown_in_the_log(resident_client):
    chat_url = start_report(resident_client).headers["Location"]
    chat = resident_client.get(chat_url)
    response = resident_client.post(f"{chat_url}/messages", data={**form_fields(chat), "body": "二階から煙"})
    assert response.status_code == 303
    log = resident_client.get(f"{chat_url}/log")
    assert "二階から煙" in log.text and 'http-equiv="refresh"' in log.text


@pytest.mark.parametrize("change, message", [
    ({"kind": "flood"}, "通報の種類を選んでください"),
    ({"place": "moon"}, "場所を選んでください"),
    ({"lat": "91"}, "位置情報が範囲外です"),
    ({"lon": "-181"}, "位置情報が範囲外です"),
    ({"lat": "nan"}, "位置情報が範囲外です"),
    ({"lat": "north"}, "位置情報の形式が正しくありません"),
    ({"accuracy": "-5"}, "位置の精度が正しくありません"),
    ({"place_text": "あ" * 201}, "200文字以内"),
    ({"client_id": "x"}, "送信IDが正しくありません"),
    ({"place": "frequent-99999"}, "登録された場所が見つかりません"),
])
def test_bad_report_input_is_refused_clearly_and_nothing_is_stored(resident_client, change, message):
    response = start_report(resident_client, **change)
    assert response.status_code == 400
    assert message in response.text
    assert 'class="error-summary"' in response.text
    assert count(Report) == 0


def test_missing_csrf_token_is_refused(resident_client):
    page = resident_client.get("/?kind=fire")
    data = {**form_fields(page), "kind": "fire", "place": "home"}
    del data["csrf_token"]
    response = resident_client.post("/reports", data=data)
    assert response.status_code == 400
    assert "ページを読み込み直して" in response.text
    assert count(Report) == 0


def test_a_message_refused_for_an_expired_page_is_shown_back_to_be_sent_again(app, resident_client):
    """A page whose session changed meanwhile (logged in again elsewhere) is refused (CSRF):
    without JavaScript the answer was a page that had dropped what was typed. A password is
    never shown back."""
    case = start_report(resident_client).headers["Location"]
    response = resident_client.post(case + "/messages", data={"csrf_token": "expired", "client_id": "expired-page-01",
                                                              "body": "台所から煙が出ています"})
    assert response.status_code == 400 and "ページを読み込み直して" in response.text
    assert re.search(r"<textarea[^>]*readonly[^>]*>台所から煙が出ています</textarea>", response.text)
    login = app.test_client().post("/login", data={"csrf_token": "expired", "login": "x", "password": "秘密のパスワード"})
    assert login.status_code == 400 and "秘密のパスワード" not in login.text


@pytest.mark.parametrize("body, message", [
    ("", "メッセージを入力してください"),
    ("   ", "メッセージを入力してください"),
    ("あ" * 1001, "1000文字以内"),
])
def test_bad_message_is_refused_and_not_stored(resident_client, body, message):
    chat_url = start_report(resident_client).headers["Location"]
    chat = resident_client.get(chat_url)
    before = count(ReportEvent)
    response = resident_client.post(f"{chat_url}/messages", data={**form_fields(chat), "body": body})
    assert response.status_code == 400 and message in response.text
    assert count(ReportEvent) == before


def test_oversized_request_body_is_refused(resident_client):
    response = resident_client.post("/reports", data={"place_text": "x" * 100_000})
    assert response.status_code == 413
    assert "大きすぎます" in response.text


def test_another_residents_report_is_not_found(app, resident_client):
    chat_url = start_report(resident_client).headers["Location"]
    other = app.test_client()
    dispatcher = next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose")
    login_as(other, dispatcher, path="/dispatch/login")
    assert other.get(chat_url).status_code == 302  # a staff session is not a resident session


def test_healthz(client):
    assert client.get("/healthz").json == {"status": "ok", "database": True}
