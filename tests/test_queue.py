"""The console queue: time since the report, unread messages, and cases nobody has opened yet."""
import json
import re

import pytest

from app.extensions import db
from app.models import Report

from .conftest import form_fields, login_as, start_report
from .http_session import HttpSession
from .test_sockets import open_socket, receive_until  # noqa: F401  (fixture)

# Each test here that uses the app runs on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def item(queue_page, report_id):
    return queue_page.split(f'href="/dispatch/cases/{report_id}"')[1].split("</li>")[0]


def test_unopened_cases_and_unread_messages_are_marked_until_read(app):
    resident, console = app.test_client(), app.test_client()
    login_as(resident, app.accounts["residents"][0])
    chat_url = start_report(resident, kind="other").headers["Location"]
    login_as(console, next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose"), path="/dispatch/login")
    with db.connection_context():
        report_id = Report.get().id
    for text in ("一通目", "二通目"):
        resident.post(f"{chat_url}/messages", data={**form_fields(resident.get(chat_url)), "body": text})
    queue = item(console.get("/dispatch/").text, report_id)
    assert "queue__item--unopened" not in queue  # the class sits on the <li>, before the link
    assert "未確認" in queue and "未読 2件" in queue and re.search(r"受信（<span data-since=\"[^\"]+Z\">\d+分経過", queue)
    console.get(f"/dispatch/cases/{report_id}")
    queue = console.get("/dispatch/").text
    assert "queue__item--unopened" not in queue
    assert "未確認" not in item(queue, report_id) and "未読" not in item(queue, report_id)
    resident.post(f"{chat_url}/messages", data={**form_fields(resident.get(chat_url)), "body": "三通目"})
    assert "未読 1件" in item(console.get("/dispatch/").text, report_id)


def test_the_first_look_stops_the_flash_on_every_console(live_server, open_socket):  # noqa: F811
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    first = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    second = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    case_number = resident.start_report(kind="other")
    report_id = first.report_id(case_number)
    queue = open_socket(second, "/dispatch/ws")
    queue.send(json.dumps({"type": "resume", "after": 0}))
    assert "未確認" in item(receive_until(queue, case_number)[-1], report_id)
    first.request(f"/dispatch/cases/{report_id}")
    frame = receive_until(queue, case_number)[-1]
    assert "未確認" not in item(frame, report_id) and "data-alarm" not in frame
