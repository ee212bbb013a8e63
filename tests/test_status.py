"""Status stages pushed by the console reach the resident's banner; closing ends the case."""
import json
import threading
import time

import pytest

from app.dispatch import views
from app.extensions import db
from app.models import Headquarters, Report, Staff, utcnow, write_transaction
from app.reporting import InvalidInput, set_status, transfer_report

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


def staff_of(hq):
    return Staff.get((Staff.role == "dispatcher") & (Staff.hq == Headquarters.get(Headquarters.code == hq)))


def test_a_stage_pushed_as_another_dispatcher_closes_the_case_does_not_reopen_it(case):
    """Two consoles loaded the open case; one closes it, then the other's push arrives."""
    with db.connection_context():
        stale = Report.get()  # as the second dispatcher's request read it, before the close
        set_status(Report.get_by_id(stale.id), "closed", staff_of("chitose"), reason="搬送完了")
        with pytest.raises(InvalidInput) as refused:
            set_status(stale, "dispatched", staff_of("chitose"))
        assert "終了" in refused.value.ja and "closed" in refused.value.en
        after = Report.get_by_id(stale.id)
        assert after.status == "closed" and after.closed_at is not None
        assert [e.data["status"] for e in after.events if e.kind == "status"] == ["closed"]


def test_a_second_close_at_the_same_moment_is_refused_and_keeps_the_first(case):
    with db.connection_context():
        stale = Report.get()
        set_status(Report.get_by_id(stale.id), "closed", staff_of("chitose"), reason="搬送完了")
        closed_at = Report.get_by_id(stale.id).closed_at
        with pytest.raises(InvalidInput):
            set_status(stale, "closed", staff_of("chitose"), reason="誤報")
        assert Report.get_by_id(stale.id).closed_at == closed_at
        assert [e.body for e in Report.get_by_id(stale.id).events if e.kind == "status"] == ["搬送完了"]


def test_a_transfer_as_the_case_is_closed_is_refused_and_leaves_it_closed_here(case):
    with db.connection_context():
        stale = Report.get()
        set_status(Report.get_by_id(stale.id), "closed", staff_of("chitose"))
        with pytest.raises(InvalidInput) as refused:
            transfer_report(stale, Headquarters.get(Headquarters.code == "eniwa"), staff_of("chitose"))
        assert "終了" in refused.value.ja
        after = Report.get_by_id(stale.id)
        assert after.status == "closed" and after.receiving_hq.code == "chitose"
        assert not [e for e in after.events if e.kind == "transfer"]


def test_a_stage_pushed_as_the_case_is_handed_away_is_refused(case):
    """The case left this HQ between the page and the push: it is the other HQ's to update now."""
    with db.connection_context():
        stale = Report.get()
        transfer_report(Report.get_by_id(stale.id), Headquarters.get(Headquarters.code == "eniwa"),
                        staff_of("chitose"))
        with pytest.raises(InvalidInput) as refused:
            set_status(stale, "arrived", staff_of("chitose"))
        assert "引き継" in refused.value.ja
        assert Report.get_by_id(stale.id).status == "received"
        with pytest.raises(InvalidInput):  # nor handed on a second time by the old HQ
            transfer_report(stale, Headquarters.get(Headquarters.code == "sapporo"), staff_of("chitose"))
        assert Report.get_by_id(stale.id).receiving_hq.code == "eniwa"


def colleague_first(monkeypatch, name, colleague):
    """Make ``colleague(report_id)`` commit between this console's read of the case and its write."""
    real = getattr(views, name)

    def raced(report, *args, **kwargs):
        colleague(report.id)
        return real(report, *args, **kwargs)
    monkeypatch.setattr(views, name, raced)


def test_the_console_is_told_plainly_when_a_colleague_closed_the_case_first(case, monkeypatch):
    _, _, console, case_url = case
    colleague_first(monkeypatch, "set_status", lambda report_id: set_status(
        Report.get_by_id(report_id), "closed", staff_of("chitose"), reason="搬送完了"))
    response = push(console, case_url, "dispatched")
    assert response.status_code == 409
    assert "すでに終了しています" in response.text and "already been closed" in response.text
    assert "エラー：" in response.text.split("</title>")[0]
    with db.connection_context():
        assert Report.get().status == "closed"


def test_the_console_is_shown_the_record_when_a_colleague_handed_the_case_away_first(case, monkeypatch):
    _, _, console, case_url = case
    colleague_first(monkeypatch, "set_status", lambda report_id: transfer_report(
        Report.get_by_id(report_id), Headquarters.get(Headquarters.code == "eniwa"), staff_of("chitose")))
    response = push(console, case_url, "arrived")
    assert response.status_code == 409
    assert "すでに恵庭市消防本部に引き継がれています" in response.text and 'id="compose"' not in response.text
    assert "エラー：" in response.text.split("</title>")[0]


def test_a_transfer_refused_because_the_case_was_closed_first_says_so(case, monkeypatch):
    _, _, console, case_url = case
    colleague_first(monkeypatch, "transfer_report", lambda report_id: set_status(
        Report.get_by_id(report_id), "closed", staff_of("chitose")))
    page = console.get(case_url)
    response = console.post(f"{case_url}/transfer", data={"csrf_token": form_fields(page)["csrf_token"],
                                                          "hq": "eniwa"})
    assert response.status_code == 409 and "すでに終了しています" in response.text
    # The page is the closed case's now, and its note keeps the reason the push was refused.
    note = response.text.split('id="case-closed"')[1].split("</section>")[0]
    assert 'role="alert"' in note and "すでに終了しています" in note
    with db.connection_context():
        assert Report.get().receiving_hq.code == "chitose"


def test_a_push_that_waits_for_a_close_being_committed_is_refused_once_it_is(case):
    """The close holds the row (PostgreSQL) or the write lock (SQLite) when the push arrives."""
    with db.connection_context():
        stale = Report.get()
        staff = staff_of("chitose")
    holding = threading.Event()

    def colleague_closes():
        with db.connection_context(), write_transaction():
            Report.update(status="closed", closed_at=utcnow()).where(Report.id == stale.id).execute()
            holding.set()
            time.sleep(0.5)  # the push below is made meanwhile, and waits for this commit

    colleague = threading.Thread(target=colleague_closes)
    colleague.start()
    try:
        assert holding.wait(10)
        with db.connection_context():
            with pytest.raises(InvalidInput):
                set_status(stale, "dispatched", staff)
            assert Report.get_by_id(stale.id).status == "closed"
    finally:
        colleague.join()


def test_a_closed_case_page_says_so_and_offers_no_form_to_write_with(case):
    _, _, console, case_url = case
    assert push(console, case_url, "closed", reason="搬送完了").status_code == 303
    page = console.get(case_url)
    assert page.status_code == 200
    note = page.text.split('id="case-closed"')[1].split("</section>")[0]
    assert "この通報は終了しています" in note and "This report is closed" in note
    for action in ("messages", "phrases", "questions", "status", "transfer", "claim", "location-request"):
        assert f'action="{case_url}/{action}"' not in page.text, action
    assert 'id="compose"' not in page.text and "ws-send" not in page.text and "data-shortcuts" not in page.text
    assert f'href="{case_url}/record"' in note and f'href="{case_url}/record.json"' in note
    assert "搬送完了" in page.text  # the record itself stays: the chat and its close

