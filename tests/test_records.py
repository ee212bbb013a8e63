"""The audit log and a case's exported record: every action with who and when, nothing without it."""
import re

import pytest
from peewee import IntegrityError

from app.extensions import db
from app.models import AuditEntry, Report, ReportEvent, Resident, Staff
from app.reporting import post_message

from .conftest import form_fields, login_as, start_report


def dispatcher_of(app, hq):
    return next(a for a in app.accounts["dispatchers"] if a["hq"] == hq)


@pytest.fixture
def case(app):
    """A Chitose case with a message each way, a claim and a status stage."""
    resident = app.test_client()
    login_as(resident, app.accounts["residents"][0])
    chat_url = start_report(resident).headers["Location"]
    chat = resident.get(chat_url)
    resident.post(f"{chat_url}/messages", data={**form_fields(chat), "body": "台所から火が出ています"})
    console = app.test_client()
    login_as(console, dispatcher_of(app, "chitose"), path="/dispatch/login")
    with db.connection_context():
        report_id = Report.get().id
    case_url = f"/dispatch/cases/{report_id}"
    page = console.get(case_url)
    console.post(f"{case_url}/messages", data={**form_fields(page), "body": "消防車が向かっています"})
    console.post(f"{case_url}/claim", data={"csrf_token": form_fields(page)["csrf_token"], "action": "claim"})
    console.post(f"{case_url}/status", data={"csrf_token": form_fields(page)["csrf_token"], "status": "dispatched"})
    return resident, console, case_url, report_id


@pytest.mark.both_databases
def test_every_action_message_and_status_change_is_an_audit_entry_with_actor_and_time(case):
    *_, report_id = case
    with db.connection_context():
        trail = [(e.action, e.actor, e.staff.login if e.staff else None) for e in
                 AuditEntry.select().where(AuditEntry.report == report_id).order_by(AuditEntry.id)]
        assert all(e.created_at for e in AuditEntry.select())
        ledger = ReportEvent.select().where(ReportEvent.report == report_id).count()
        audited = AuditEntry.select().where((AuditEntry.report == report_id)
                                            & AuditEntry.event_seq.is_null(False)).count()
    assert audited == ledger  # every ledger event, whatever wrote it
    assert ("message", "resident", None) in trail
    assert ("message", "staff", "chitose-dispatcher") in trail
    assert ("claim", "staff", "chitose-dispatcher") in trail
    assert ("status", "staff", "chitose-dispatcher") in trail
    assert trail[0][0] == "opened"


def test_an_action_whose_audit_entry_cannot_be_written_is_not_stored(app, case):
    *_, report_id = case
    with db.connection_context():
        report = Report.get_by_id(report_id)
        before = report.last_seq
        # The audit table refuses every row, in the database itself: the batch
        # path and the one-by-one path of the group commit both meet it.
        db.execute_sql('CREATE TRIGGER "audit_refuses" BEFORE INSERT ON "audit_entry" '
                       "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        try:
            with pytest.raises(IntegrityError, match="disk full"):
                post_message(report, actor="staff", body="届かないはず", client_id="audit-fails-0001",
                             staff=Staff.get(Staff.login == "chitose-dispatcher"))
        finally:
            db.execute_sql('DROP TRIGGER "audit_refuses"')
        assert Report.get_by_id(report_id).last_seq == before
        assert not ReportEvent.select().where(ReportEvent.body == "届かないはず").exists()


@pytest.mark.both_databases
def test_the_printable_record_shows_the_whole_timeline_and_is_itself_audited(case):
    _, console, case_url, report_id = case
    page = console.get(f"{case_url}/record")
    assert page.status_code == 200
    table = page.text.split("<tbody>")[1]
    for text in ("通報を受信", "台所から火が出ています", "消防車が向かっています", "千歳 太郎（通報者）",
                 "担当", "状況：出動しました", "千歳市消防本部 指令員（chitose-dispatcher）"):
        assert text in table, text
    with db.connection_context():
        exported = AuditEntry.get(AuditEntry.action == "export")
        assert exported.staff.login == "chitose-dispatcher" and exported.detail == {"format": "html"}


@pytest.mark.both_databases
def test_the_json_record_has_the_case_and_its_timeline_in_order(case):
    _, console, case_url, _ = case
    response = console.get(f"{case_url}/record.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    record = response.get_json()
    assert record["kind"] == "fire" and record["receiving_hq"] == "chitose" and record["status"] == "dispatched"
    actions = [line["action"] for line in record["timeline"]]
    assert actions[0] == "opened" and actions[-3:] == ["claim", "status", "export"]  # the export itself too
    assert [line["at"] for line in record["timeline"]] == sorted(line["at"] for line in record["timeline"])
    message = next(line for line in record["timeline"] if line["body"] == "消防車が向かっています")
    assert message["actor"] == "staff" and message["staff"] == "chitose-dispatcher" and message["hq"] == "chitose"
    assert all(line["at"].endswith("Z") for line in record["timeline"])


@pytest.mark.both_databases
def test_the_hq_that_handed_a_case_away_reads_its_record_up_to_the_transfer_only(app, case):
    resident, console, case_url, report_id = case
    page = console.get(case_url)
    console.post(f"{case_url}/transfer", data={"csrf_token": form_fields(page)["csrf_token"], "hq": "eniwa"})
    eniwa = app.test_client()
    login_as(eniwa, dispatcher_of(app, "eniwa"), path="/dispatch/login")
    later = eniwa.get(case_url)
    eniwa.post(f"{case_url}/messages", data={**form_fields(later), "body": "恵庭からの連絡です"})
    assert "恵庭からの連絡です" in eniwa.get(f"{case_url}/record").text
    record = console.get(f"{case_url}/record.json").get_json()
    assert record["timeline"][-1]["action"] == "transfer"
    assert "恵庭からの連絡です" not in str(record) and "status" not in record and "location" not in record
    assert "恵庭からの連絡です" not in console.get(f"{case_url}/record").text
    assert "恵庭からの連絡です" not in console.get(case_url).text


@pytest.mark.parametrize("suffix", ["/record", "/record.json"])
def test_another_hqs_record_is_not_found(app, case, suffix):
    *_, case_url, _ = case
    eniwa = app.test_client()
    login_as(eniwa, dispatcher_of(app, "eniwa"), path="/dispatch/login")
    assert eniwa.get(case_url + suffix).status_code == 404
    with db.connection_context():
        assert not AuditEntry.select().where(AuditEntry.action == "export").exists()


@pytest.mark.both_databases
@pytest.mark.parametrize("suffix, download", [("/record", False), ("/record.json", True)])
def test_a_link_from_another_site_asks_before_exporting_the_record(case, suffix, download):
    _, console, case_url, _ = case
    asked = console.get(case_url + suffix, headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"})

    # Nothing is exported or audited until the dispatcher asks for it on this site.
    assert asked.status_code == 200 and asked.mimetype == "text/html"
    assert "Content-Disposition" not in asked.headers
    assert "消防車が向かっています" not in asked.text
    assert "別のサイト" in asked.text and "another site" in asked.text
    with db.connection_context():
        assert not AuditEntry.select().where(AuditEntry.action == "export").exists()
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>[^<]*記録を出力', asked.text)
    assert link and link.group(1) == case_url + suffix
    assert ('hx-boost="false"' in link.group(0)) is download  # a file, not a page for htmx to swap in

    exported = console.get(link.group(1), headers={"Sec-Fetch-Site": "same-origin"})
    assert exported.status_code == 200 and ("Content-Disposition" in exported.headers) is download
    with db.connection_context():
        assert AuditEntry.select().where(AuditEntry.action == "export").count() == 1


def test_resident_messages_are_audited_without_staff(app):
    with db.connection_context():
        resident = Resident.get(Resident.login == "chitose-taro")
        from app.reporting import open_report
        report, _ = open_report(resident, kind="ambulance", place_kind="home", client_id="audit-resident-01")
        post_message(report, actor="resident", body="助けて", client_id="audit-resident-02")
        entry = AuditEntry.select().where(AuditEntry.report == report).order_by(AuditEntry.id.desc()).get()
        assert (entry.action, entry.actor, entry.staff, entry.hq.code) == ("message", "resident", None, "chitose")
