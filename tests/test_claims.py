"""Claiming a case: one dispatcher handles it, and every console of the HQ sees who, live."""
import json

import pytest

from app.auth import hash_password
from app.dispatch import claims
from app.extensions import db
from app.models import AuditEntry, Headquarters, Report, Staff
from app.reporting import CaseChanged, set_status, transfer_report

from .conftest import form_fields, login_as, start_report
from .http_session import HttpSession
from .test_sockets import open_socket, receive_until  # noqa: F401  (fixture)

# Each test here that uses the app runs on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def dispatcher_of(app, hq):
    return next(a for a in app.accounts["dispatchers"] if a["hq"] == hq)


def second_dispatcher(hq_code="chitose", login="chitose-dispatcher-2", name="千歳 二郎"):
    """A second dispatcher of the HQ (the demo seeds one per HQ)."""
    with db.connection_context():
        Staff.create(login=login, password_hash=hash_password("second-password-1"), name=name,
                     role="dispatcher", hq=Headquarters.get(Headquarters.code == hq_code))
    return {"login": login, "password": "second-password-1", "hq": hq_code}


@pytest.fixture
def case(app):
    """A Chitose case and two Chitose consoles."""
    resident = app.test_client()
    login_as(resident, app.accounts["residents"][0])
    start_report(resident)
    first, second = app.test_client(), app.test_client()
    login_as(first, dispatcher_of(app, "chitose"), path="/dispatch/login")
    login_as(second, second_dispatcher(), path="/dispatch/login")
    with db.connection_context():
        report_id = Report.get().id
    return first, second, f"/dispatch/cases/{report_id}", report_id


def press(client, case_url, action, **fields):
    page = client.get("/dispatch/")  # any console page carries the session's CSRF token
    return client.post(f"{case_url}/claim", data={"csrf_token": form_fields(page)["csrf_token"],
                                                  "action": action, **fields})


def claim_panel(client, case_url):
    return client.get(case_url).text.split('id="claim"')[1].split("</section>")[0]


def test_a_claim_shows_on_both_consoles_queue_and_case_view(case):
    first, second, case_url, _ = case
    assert "未担当" in claim_panel(second, case_url)
    assert "未担当" in second.get("/dispatch/").text
    assert press(first, case_url, "claim").status_code == 303
    assert "千歳市消防本部 指令員" in claim_panel(second, case_url)
    assert "担当：千歳市消防本部 指令員" in second.get("/dispatch/").text
    assert "（あなた）" in claim_panel(first, case_url) and "担当を外れる" in claim_panel(first, case_url)
    assert "担当を代わる" in claim_panel(second, case_url)


def test_a_claim_made_meanwhile_is_not_overwritten(case):
    first, second, case_url, report_id = case
    stale = second.get(case_url)  # the second console still shows 未担当
    assert press(first, case_url, "claim").status_code == 303
    response = second.post(f"{case_url}/claim", data={"csrf_token": form_fields(stale)["csrf_token"],
                                                      "action": "claim"})
    assert response.status_code == 400 and "担当が変わりました" in response.text
    assert "The case was claimed meanwhile" in response.text
    with db.connection_context():
        assert Report.get_by_id(report_id).claimed_by.login == "chitose-dispatcher"


def test_taking_over_and_releasing_are_audited(case):
    first, second, case_url, report_id = case
    press(first, case_url, "claim")
    with db.connection_context():
        holder = Report.get_by_id(report_id).claimed_by_id
    assert press(second, case_url, "take_over", holder=str(holder)).status_code == 303
    assert "千歳 二郎" in claim_panel(first, case_url)
    assert press(first, case_url, "release").status_code == 400  # not first's any more
    assert press(second, case_url, "release").status_code == 303
    assert "未担当" in claim_panel(first, case_url)
    with db.connection_context():
        trail = [(e.action, e.staff.login, e.detail.get("previous")) for e in AuditEntry.select()
                 .where((AuditEntry.report == report_id) & (AuditEntry.event_seq.is_null()))
                 .order_by(AuditEntry.id)]
    assert trail == [("claim", "chitose-dispatcher", None),
                     ("take_over", "chitose-dispatcher-2", "chitose-dispatcher"),
                     ("release", "chitose-dispatcher-2", None)]


@pytest.mark.parametrize("fields, message", [
    ({"action": "steal"}, "担当の操作を選んでください"),
    ({"action": ""}, "担当の操作を選んでください"),
    ({"action": "take_over", "holder": "x1"}, "担当者の情報が正しくありません"),
    ({"action": "take_over", "holder": "999999"}, "担当が変わりました"),
])
def test_bad_claims_are_refused_in_both_languages_and_change_nothing(case, fields, message):
    first, _, case_url, report_id = case
    response = press(first, case_url, **fields)
    assert response.status_code == 400 and message in response.text and 'lang="en"' in response.text
    with db.connection_context():
        assert Report.get_by_id(report_id).claimed_by is None
        assert not AuditEntry.select().where(AuditEntry.action.in_(("claim", "take_over"))).exists()


def test_a_closed_case_cannot_be_claimed(case):
    first, _, case_url, report_id = case
    with db.connection_context():
        report = Report.get_by_id(report_id)
        report.status = "closed"
        report.save()
        staff = Staff.get(Staff.login == "chitose-dispatcher")
        with pytest.raises(claims.InvalidInput):
            claims.claim(report, staff)


def test_another_hq_cannot_claim(app, case):
    _, _, case_url, report_id = case
    eniwa = app.test_client()
    login_as(eniwa, dispatcher_of(app, "eniwa"), path="/dispatch/login")
    assert press(eniwa, case_url, "claim").status_code == 404
    assert "未担当" in claim_panel(case[0], case_url)


def test_a_transfer_drops_the_old_hqs_claim(app, case):
    first, _, case_url, report_id = case
    press(first, case_url, "claim")
    page = first.get(case_url)
    first.post(f"{case_url}/transfer", data={"csrf_token": form_fields(page)["csrf_token"], "hq": "eniwa"})
    with db.connection_context():
        assert Report.get_by_id(report_id).claimed_by is None


def test_a_claim_is_pushed_live_to_the_other_consoles_queue_and_case_sockets(live_server, open_socket):  # noqa: F811
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    first = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    eniwa = HttpSession(live_server.base_url).login(live_server.account("dispatchers", hq="eniwa"),
                                                    path="/dispatch/login")
    case_number = resident.start_report()
    report_id = first.report_id(case_number)
    # A second console of the same HQ, logged in as the same dispatcher on another device.
    second = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    queue = open_socket(second, "/dispatch/ws")
    queue.send(json.dumps({"type": "resume", "after": 0}))
    receive_until(queue, case_number)
    view = open_socket(second, f"/dispatch/cases/{report_id}/ws")
    view.send(json.dumps({"type": "resume", "after": 1}))
    other_queue = open_socket(eniwa, "/dispatch/ws")
    other_queue.send(json.dumps({"type": "resume", "after": 0}))
    assert case_number not in other_queue.recv()
    fields = first.form(f"/dispatch/cases/{report_id}")
    status, _, _ = first.request(f"/dispatch/cases/{report_id}/claim",
                                 {"csrf_token": fields["csrf_token"], "action": "claim"})
    assert status == 303
    frame = receive_until(queue, "担当：")[-1]
    assert "担当：千歳市消防本部 指令員" in frame and case_number in frame
    panel = receive_until(view, 'id="claim"')[-1]
    assert 'hx-swap-oob="true"' in panel and "千歳市消防本部 指令員" in panel
    other_queue.settimeout(1)
    with pytest.raises(Exception):  # nothing about another HQ's claim reaches Eniwa
        other_queue.recv()


def test_a_claim_that_meets_the_transfer_is_refused_and_does_not_travel_to_the_new_hq(case):
    """The page read the case at Chitose; Eniwa has it by the time 担当する arrives. Eniwa's queue
    must not show a Chitose dispatcher as handling it: nobody at Eniwa would pick it up."""
    _, _, _, report_id = case
    with db.connection_context():
        as_read = Report.get_by_id(report_id)
        staff = Staff.get(Staff.login == "chitose-dispatcher")
        transfer_report(Report.get_by_id(report_id), Headquarters.get(Headquarters.code == "eniwa"), staff)
        with pytest.raises(CaseChanged) as refused:
            claims.claim(as_read, staff)
        assert "恵庭市消防本部" in refused.value.ja
        assert Report.get_by_id(report_id).claimed_by is None
        assert not AuditEntry.select().where(AuditEntry.action == "claim").exists()


def test_a_claim_that_meets_the_close_is_refused(case):
    _, _, _, report_id = case
    with db.connection_context():
        as_read = Report.get_by_id(report_id)
        staff = Staff.get(Staff.login == "chitose-dispatcher")
        set_status(Report.get_by_id(report_id), "closed", staff)
        with pytest.raises(CaseChanged) as refused:
            claims.claim(as_read, staff)
        assert "終了" in refused.value.ja
        assert Report.get_by_id(report_id).claimed_by is None
