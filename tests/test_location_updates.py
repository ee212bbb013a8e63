"""Location updates while a report is open (SPEC §3.3): stored as events for the console's trail."""
import json
from types import SimpleNamespace

import pytest

from app.extensions import db
from app.models import Report, ReportEvent, Resident, Staff
from app.reporting import InvalidInput, open_report, record_location, set_status
from app.routing import Fix

from .http_session import HttpSession
from .test_sockets import open_socket, receive_until  # noqa: F401  (open_socket is a fixture)

# Each test here that uses the app runs on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


@pytest.fixture
def ledger(app):
    with app.app_context(), db.connection_context():
        resident = Resident.get(Resident.login == app.accounts["residents"][0]["login"])
        report, _ = open_report(resident, kind="ambulance", place_kind="current", client_id="open-loc-0001")
        yield SimpleNamespace(report=report, staff=Staff.get(Staff.role == "dispatcher"))


def locations(report):
    return [(e.data, e.actor) for e in ReportEvent.select().where(
        (ReportEvent.report == report) & (ReportEvent.kind == "location")).order_by(ReportEvent.seq)]


def test_a_fix_is_stored_with_its_accuracy_and_fills_a_report_sent_without_one(ledger, monkeypatch):
    report = ledger.report
    assert report.lat is None  # sent before the phone had a fix
    event, created = record_location(report, Fix(42.82102, 141.65088, 18.4), "loc-update-0001")
    assert created and (event.kind, event.actor) == ("location", "resident")
    assert event.data == {"lat": 42.82102, "lon": 141.65088, "accuracy": 18.4, "first_fix": {
        "municipality_code": "01224", "municipality_name": "千歳市", "receiving_hq": "千歳市消防本部",
        "outcome": "in_area", "show_118": False}}
    assert event.body == "現在地の更新（誤差 約18 m）"
    stored = Report.get_by_id(report.id)
    assert (stored.lat, stored.lon, stored.accuracy_m) == (42.82102, 141.65088, 18.4)
    assert (stored.municipality_code, stored.municipality_name) == ("01224", "千歳市")
    # The same frame again (a retry) is stored once.
    assert record_location(report, Fix(42.82102, 141.65088, 18.4), "loc-update-0001") == (event, False)
    # A later fix is a new point of the trail, and the report keeps its first position.
    monkeypatch.setattr("app.reporting.MIN_LOCATION_INTERVAL_S", 0)
    record_location(report, Fix(42.8300, 141.6600, 30), "loc-update-0002")
    assert [data["lat"] for data, _ in locations(report)] == [42.82102, 42.8300]
    assert Report.get_by_id(report.id).lat == 42.82102


def test_a_first_fix_in_another_jurisdiction_tells_the_dispatcher_whose_it_is(ledger):
    report = ledger.report
    event, _ = record_location(report, Fix(42.8828, 141.5778, 20), "loc-first-0001")  # 恵庭市役所
    assert event.body == "現在地の更新（誤差 約20 m）。この位置の管轄は恵庭市消防本部です（必要なら転送してください）"
    stored = Report.get_by_id(report.id)
    assert (stored.municipality_code, stored.municipality_name) == ("01231", "恵庭市")
    # Not moved: the resident keeps chatting with the HQ that received the report.
    assert stored.receiving_hq_id == report.receiving_hq_id


def test_a_burst_of_fixes_is_not_a_burst_of_events(ledger):
    first, _ = record_location(ledger.report, Fix(42.82102, 141.65088, 18), "loc-burst-0001")
    again, created = record_location(ledger.report, Fix(42.82103, 141.65088, 18), "loc-burst-0002")
    assert (again.id, created) == (first.id, False)
    assert len(locations(ledger.report)) == 1
    # Moving is news however soon it comes.
    moved, created = record_location(ledger.report, Fix(42.8262, 141.6548, 12), "loc-burst-0003")
    assert created and len(locations(ledger.report)) == 2


@pytest.mark.parametrize("fix, client_id, message", [
    (None, "loc-bad-00001", "No location was sent."),
    (Fix(42.8, 141.6, 10), "x", "The send id is not valid."),
])
def test_a_wrong_location_is_refused(ledger, fix, client_id, message):
    with pytest.raises(InvalidInput) as refused:
        record_location(ledger.report, fix, client_id)
    assert message in refused.value.en and refused.value.ja
    assert locations(ledger.report) == []


def test_a_closed_report_takes_no_location(ledger):
    set_status(ledger.report, "closed", ledger.staff)
    with pytest.raises(InvalidInput, match="closed"):
        record_location(ledger.report, Fix(42.8, 141.6, 10), "loc-late-0001")


@pytest.mark.parametrize("frame, message", [
    ({"lat": 91, "lon": 141.6, "accuracy": 10}, "The location is out of range."),
    ({"lat": "42.8", "lon": 141.6, "accuracy": 10}, "The location is not in a valid format."),
    ({"lat": 42.8, "accuracy": 10}, "The location is not in a valid format."),
    ({"lat": True, "lon": 141.6, "accuracy": 10}, "The location is not in a valid format."),
    ({"lat": 42.8, "lon": 141.6, "accuracy": -1}, "The location accuracy is not valid."),
    ({"lat": 42.8, "lon": 141.6, "accuracy": 10, "client_id": "bad"}, "The send id is not valid."),
])
def test_location_frames_are_checked_and_explained_in_both_languages(live_server, open_socket, frame, message):
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    case_number = resident.start_report(kind="ambulance", place="current")
    sock = open_socket(resident, f"/reports/{case_number}/ws")
    sock.send(json.dumps({"type": "location", "client_id": "loc-frame-0001", **frame}))
    notice = receive_until(sock, 'id="notice"')[-1]
    assert message in notice and ("位置" in notice or "送信ID" in notice)  # and in Japanese


def test_the_dispatcher_receives_each_update_with_its_position(live_server, open_socket):
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    dispatcher = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    case_number = resident.start_report(kind="ambulance", place="current")
    mine = open_socket(resident, f"/reports/{case_number}/ws")
    console = open_socket(dispatcher, f"/dispatch/cases/{dispatcher.report_id(case_number)}/ws")
    for sock in (mine, console):
        sock.send(json.dumps({"type": "resume", "after": 0}))
    receive_until(console, 'data-seq="2"')
    mine.send(json.dumps({"type": "location", "client_id": "loc-frame-0002",
                          "lat": 42.82102, "lon": 141.65088, "accuracy": 18}))
    ack = receive_until(mine, "loc-frame-0002")[-1]
    assert "hidden" in ack  # not shown in the resident's own chat
    seen = receive_until(console, "event--location")[-1]
    assert 'data-lat="42.82102"' in seen and 'data-lon="141.65088"' in seen and 'data-accuracy="18.0"' in seen
    assert "誤差 約18 m" in seen and "hidden" not in seen
    console.send(json.dumps({"type": "location", "client_id": "loc-frame-0003", "lat": 1, "lon": 1}))
    assert "Only the resident sends a location." in receive_until(console, 'id="notice"')[-1]


def test_a_client_id_already_used_for_something_else_is_refused(ledger):
    from app.reporting import post_message
    post_message(ledger.report, actor="resident", body="ここにいます", client_id="reused-loc-0001")
    with pytest.raises(InvalidInput, match="send id"):
        record_location(ledger.report, Fix(42.8, 141.6, 10), "reused-loc-0001")
    assert locations(ledger.report) == []
