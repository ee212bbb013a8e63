"""A NUL character (never typed, but in garbled pastes and forged requests) is not a server
error anywhere, and never loses the message around it. PostgreSQL refuses a NUL in text,
where SQLite stores it, so every test here runs on both."""
import json

import pytest

from app.chat_socket import ReportFeed, frame_handler
from app.extensions import db
from app.models import Report, ReportEvent

from .conftest import form_fields, login_as, start_report

pytestmark = pytest.mark.both_databases


@pytest.fixture
def resident(app):
    client = app.test_client()
    login_as(client, app.accounts["residents"][0])
    return client


def test_a_message_with_a_nul_is_stored_without_it_from_a_form(app, resident):
    chat_url = start_report(resident).headers["Location"]
    fields = form_fields(resident.get(chat_url))
    sent = resident.post(chat_url + "/messages", data={**fields, "body": "煙が\x00見えます"})
    assert sent.status_code in (200, 303)
    with db.connection_context():
        assert ReportEvent.select().where(ReportEvent.body == "煙が見えます").count() == 1


def test_a_message_with_a_nul_is_stored_without_it_from_a_socket_frame(app, resident):
    start_report(resident)
    with app.test_request_context(), db.connection_context():
        report = Report.get()
        on_frame = frame_handler(ReportFeed(report.id, "resident", sent=report.last_seq), max_chars=1000)
        frames = on_frame(json.dumps({"type": "message", "client_id": "nul-frame-0001", "body": "煙が\u0000見えます"}))
        assert any("煙が見えます" in frame for frame in frames)  # acknowledged: stored
        assert ReportEvent.get(ReportEvent.client_id == "nul-frame-0001").body == "煙が見えます"


@pytest.mark.parametrize("path", ["/reports/a%00b", "/reports/a%00b/log", "/practice/reports/P-%00/log",
                                  "/register/apply/x%00y", "/proxy?case=a%00b"])
def test_a_nul_in_a_url_is_not_found(resident, path):
    assert resident.get(path).status_code == 404


def test_a_nul_in_a_login_id_is_a_wrong_login(app):
    client = app.test_client()
    fields = form_fields(client.get("/login"))
    page = client.post("/login", data={**fields, "login": "resident\x00", "password": "x"})
    assert page.status_code in (200, 400, 401, 429) and "ログインIDまたはパスワードが違います" in page.text
