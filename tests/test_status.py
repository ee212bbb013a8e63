"""Status stages pushed by the console reach the resident's banner; closing ends the case."""
import json

import pytest

from app.extensions import db
from app.models import Report

from .conftest import form_fields, login_as, start_report
from .http_session import HttpSession
from .test_sockets import open_socket, receive_until  # noqa: F401  (fixture)

# Each test here that uses the app runs on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


@pytest.fixture
def case(app):
    resident = app.test_client()
    login_as(resident, app.accounts["residents"][0])
    chat_url = start_report(resident).headers["Location"]
    console = app.test_client()
    login_as(console, next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose"),
             path="/dispatch/login")
    with db.connection_context():
        report_id = Report.get().id
    return resident, chat_url, console, f"/dispatch/cases/{report_id}"


def push(console, case_url, status, reason=""):
    page = console.get(case_url)
    return console.post(f"{case_url}/status", data={"csrf_token": form_fields(page)["csrf_token"],
                                                    "status": status, "reason": reason})


@pytest.mark.parametrize("status, banner", [("dispatched", "出動しました"), ("en_route", "到着予定"),
                                            ("arrived", "到着しました")])
def test_a_stage_shows_on_the_residents_banner(case, status, banner):
    resident, chat_url, console, case_url = case
    assert push(console, case_url, status).status_code == 303
    page = resident.get(chat_url).text
    assert banner in page.split('id="status-banner"')[1].split("</div>")[0]


def test_closing_ends_the_case_and_refuses_further_messages(case):
    resident, chat_url, console, case_url = case
    open_before = resident.get(chat_url)  # a chat page still open when the case closes
    response = push(console, case_url, "closed", reason="搬送完了")
    assert response.status_code == 303 and response.headers["Location"] == "/dispatch/"
    chat = resident.get(chat_url)
    assert "終了" in chat.text and "搬送完了" in chat.text
    refused = resident.post(f"{chat_url}/messages", data={**form_fields(open_before), "body": "まだいます"})
    assert refused.status_code == 400 and "この通報は終了しました" in refused.text
    assert "まだいます" not in resident.get(f"{chat_url}/log").text
    assert f'href="{case_url}"' not in console.get("/dispatch/").text  # gone from the queue


@pytest.mark.parametrize("status", ["received-again", "", "deleted"])
def test_an_unknown_stage_is_refused(case, status):
    _, _, console, case_url = case
    response = push(console, case_url, status)
    assert response.status_code == 400 and "状況を選んでください" in response.text


def test_the_banner_changes_live_on_the_residents_socket(live_server, open_socket):  # noqa: F811
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    console = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    case_number = resident.start_report()
    report_id = console.report_id(case_number)
    sock = open_socket(resident, f"/reports/{case_number}/ws")
    sock.send(json.dumps({"type": "resume", "after": 1}))
    fields = console.form(f"/dispatch/cases/{report_id}")
    console.request(f"/dispatch/cases/{report_id}/status", {"csrf_token": fields["csrf_token"], "status": "dispatched"})
    frame = receive_until(sock, 'id="status-banner"')[-1]
    assert 'hx-swap-oob="true"' in frame and "出動しました" in frame


def test_the_queue_alarms_for_a_new_case_but_not_for_a_status_change(live_server, open_socket):  # noqa: F811
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    console = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    queue = open_socket(console, "/dispatch/ws")
    queue.send(json.dumps({"type": "resume", "after": 0}))
    assert "data-alarm" not in queue.recv()
    case_number = resident.start_report()
    assert "data-alarm" in receive_until(queue, case_number)[-1]
    report_id = console.report_id(case_number)
    fields = console.form(f"/dispatch/cases/{report_id}")
    console.request(f"/dispatch/cases/{report_id}/status", {"csrf_token": fields["csrf_token"], "status": "en_route"})
    assert "data-alarm" not in receive_until(queue, 'id="queue"')[-1]


def test_a_closed_chat_offers_a_new_report_instead_of_a_message_box(case):
    resident, chat_url, console, case_url = case
    push(console, case_url, "closed")
    page = resident.get(chat_url).text
    assert "この通報は終了しました" in page and 'id="compose"' not in page
