"""Asking the resident's device for a fresh location from the console."""
import re

import pytest

from app.extensions import db
from app.models import AuditEntry, Report, ReportEvent

from .conftest import form_fields, login_as, start_report


@pytest.fixture
def case(app):
    resident, console = app.test_client(), app.test_client()
    login_as(resident, app.accounts["residents"][0])
    chat_url = start_report(resident).headers["Location"]
    login_as(console, next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose"), path="/dispatch/login")
    with db.connection_context():
        report_id = Report.get().id
    return resident, chat_url, console, f"/dispatch/cases/{report_id}", report_id


def locate_fields(console, case_url):
    form = console.get(case_url).text.split('class="locate"')[1].split("</form>")[0]
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))


def requests_of(report_id):
    with db.connection_context():
        return list(ReportEvent.select().where((ReportEvent.report == report_id)
                                               & (ReportEvent.kind == "position_request")))


def test_the_request_is_a_ledger_event_the_resident_reads_as_text(case):
    resident, chat_url, console, case_url, report_id = case
    fields = locate_fields(console, case_url)
    assert console.post(f"{case_url}/location-request", data=fields).status_code == 303
    assert console.post(f"{case_url}/location-request", data=fields).status_code == 303  # a double click
    (request,) = requests_of(report_id)
    assert request.staff.login == "chitose-dispatcher"
    assert "現在地をもう一度送ってください" in resident.get(chat_url).text
    assert "現在地をもう一度送ってください" in resident.get(f"{chat_url}/log").text  # the no-JS frame
    with db.connection_context():
        assert AuditEntry.get(AuditEntry.action == "position_request").staff.login == "chitose-dispatcher"


@pytest.mark.parametrize("client_id", ["", "short", "has spaces in it", "x" * 65])
def test_a_bad_request_is_refused_in_both_languages(case, client_id):
    _, _, console, case_url, report_id = case
    fields = {**locate_fields(console, case_url), "client_id": client_id}
    response = console.post(f"{case_url}/location-request", data=fields)
    assert response.status_code == 400 and "送信IDが正しくありません" in response.text and "send id" in response.text
    assert requests_of(report_id) == []


def test_a_closed_case_cannot_be_asked(case):
    _, _, console, case_url, report_id = case
    fields = locate_fields(console, case_url)
    console.post(f"{case_url}/status", data={"csrf_token": fields["csrf_token"], "status": "closed"})
    response = console.post(f"{case_url}/location-request", data=fields)
    assert response.status_code == 400 and "この通報は終了しています" in response.text
    assert requests_of(report_id) == []
