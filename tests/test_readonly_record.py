"""A case handed to another HQ stays readable, read-only, for the HQ that handed it away."""
import pytest
from peewee import fn

from app.extensions import db
from app.models import AuditEntry, Report, ReportEvent

from .conftest import form_fields, login_as, start_report
from .test_isolation_console import WEBSOCKET

# Each test here that uses the app runs on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


@pytest.fixture
def handed_away(app):
    """A Chitose case with a message, handed to Eniwa, which then writes more."""
    resident, chitose, eniwa = app.test_client(), app.test_client(), app.test_client()
    login_as(resident, app.accounts["residents"][0])
    chat_url = start_report(resident, kind="other").headers["Location"]
    resident.post(f"{chat_url}/messages", data={**form_fields(resident.get(chat_url)), "body": "引き継ぎ前の話"})
    for client, hq in ((chitose, "chitose"), (eniwa, "eniwa")):
        login_as(client, next(a for a in app.accounts["dispatchers"] if a["hq"] == hq), path="/dispatch/login")
    with db.connection_context():
        report_id = Report.get().id
    case_url = f"/dispatch/cases/{report_id}"
    chitose.post(f"{case_url}/transfer", data={"csrf_token": form_fields(chitose.get(case_url))["csrf_token"],
                                               "hq": "eniwa"})
    eniwa.post(f"{case_url}/messages", data={**form_fields(eniwa.get(case_url)), "body": "引き継ぎ後の話"})
    return app, chitose, case_url, report_id


def test_the_old_hq_reads_up_to_the_transfer_only(handed_away):
    _, chitose, case_url, _ = handed_away
    page = chitose.get(case_url)
    assert page.status_code == 200
    assert "引き継ぎ前の話" in page.text and "恵庭市消防本部に引き継ぎました" in page.text
    assert "引き継ぎ後の話" not in page.text
    assert 'method="post"' not in page.text.split('id="main"')[1].split("</main>")[0]  # no form to write with
    assert "ws-connect" not in page.text.split('id="main"')[1]


def test_every_write_of_the_old_hq_is_refused_naming_the_hq_and_stores_nothing(handed_away):
    """A page read before the transfer still has its forms: each says where the case went, not just 403."""
    app, chitose, case_url, report_id = handed_away
    with db.connection_context():
        before = (ReportEvent.select().count(), Report.get_by_id(report_id).claimed_by_id,
                  Report.get_by_id(report_id).status)
    token = form_fields(chitose.get("/dispatch/"))["csrf_token"]
    writes = [rule for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("dispatch.") and "report_id" in rule.arguments and "POST" in rule.methods]
    assert len(writes) >= 7
    fields = {"csrf_token": token, "ask-csrf_token": token, "body": "書けないはず", "client_id": "old-hq-write-01",
              "ask-body": "書けないはず", "ask-client_id": "old-hq-write-02", "action": "claim",
              "status": "closed", "hq": "sapporo", "phrase": "1"}
    for rule in writes:
        path = rule.build({"report_id": report_id})[1]
        for headers in ({}, {"HX-Request": "true"}):
            response = chitose.post(path, data=fields, headers=headers)
            assert response.status_code == 409, (path, response.status_code)
            assert "すでに恵庭市消防本部に引き継がれています" in response.text, path
            # The HQ's name inside the English line keeps its Japanese voice (as_written, app/i18n.py).
            assert 'already been handed over to <span lang="ja">恵庭市消防本部</span>' in response.text, path
            assert 'role="alert"' in response.text and "<title>エラー：" in response.text
    assert chitose.get(f"{case_url}/ws", headers=WEBSOCKET).status_code == 403
    with db.connection_context():
        after = (ReportEvent.select().count(), Report.get_by_id(report_id).claimed_by_id,
                 Report.get_by_id(report_id).status)
        audited = {e.action for e in AuditEntry.select().where(AuditEntry.created_at > AuditEntry.select(
            fn.MAX(AuditEntry.created_at)).where(AuditEntry.action == "transfer"))}
    assert after == before
    assert audited <= {"message", "message_unsent"}  # Eniwa's message, and the words Chitose typed


def test_a_message_typed_on_a_page_read_before_the_transfer_is_kept_as_unsent_not_lost(handed_away):
    _, chitose, case_url, report_id = handed_away
    response = chitose.post(f"{case_url}/messages", data={
        "csrf_token": form_fields(chitose.get("/dispatch/"))["csrf_token"], "body": "ガスの元栓を閉めてください",
        "client_id": "typed-before-01"})
    assert response.status_code == 409
    assert "送られていません" in response.text and "ガスの元栓を閉めてください" in response.text
    later = chitose.get(case_url).text  # also where a console's socket goes when the case leaves it
    unsent = later.split('id="unsent"')[1].split("</section>")[0]
    assert "ガスの元栓を閉めてください" in unsent and "利用者には届いていません" in unsent
    with db.connection_context():
        assert not ReportEvent.select().where(ReportEvent.body == "ガスの元栓を閉めてください").exists()


def test_the_hq_that_has_the_case_sees_what_the_old_hq_could_not_send(handed_away, app):
    _, chitose, case_url, _ = handed_away
    chitose.post(f"{case_url}/messages", data={
        "csrf_token": form_fields(chitose.get("/dispatch/"))["csrf_token"], "body": "ガスの元栓を閉めてください",
        "client_id": "typed-before-02"})
    eniwa = app.test_client()
    login_as(eniwa, next(a for a in app.accounts["dispatchers"] if a["hq"] == "eniwa"), path="/dispatch/login")
    page = eniwa.get(case_url).text
    unsent = page.split('id="unsent"')[1].split("</section>")[0]
    assert "千歳市消防本部" in unsent and "ガスの元栓を閉めてください" in unsent
    record = eniwa.get(f"{case_url}/record").text
    assert "送れなかったメッセージ" in record and "ガスの元栓を閉めてください" in record


def test_a_case_handed_on_again_is_named_by_where_this_hq_handed_it(handed_away, app):
    """Chitose → Eniwa → Sapporo: Chitose handed it to Eniwa, and may read only up to that."""
    _, chitose, case_url, _ = handed_away
    eniwa = app.test_client()
    login_as(eniwa, next(a for a in app.accounts["dispatchers"] if a["hq"] == "eniwa"), path="/dispatch/login")
    response = eniwa.post(f"{case_url}/transfer", data={
        "csrf_token": form_fields(eniwa.get(case_url))["csrf_token"], "hq": "sapporo"})
    assert response.status_code == 303
    for page in (chitose.get(case_url).text, chitose.get(f"{case_url}/record").text, chitose.get("/dispatch/").text):
        assert "恵庭市消防本部" in page and "札幌市消防局" not in page
    assert "引き継ぎ後の話" not in chitose.get(case_url).text


def test_the_old_hq_finds_it_under_handed_away_not_in_its_queue(handed_away):
    _, chitose, case_url, _ = handed_away
    page = chitose.get("/dispatch/").text
    assert f'href="{case_url}"' not in page.split('id="queue"')[1].split("</section>")[0]
    assert f'href="{case_url}"' in page.split("他の本部に引き継いだ通報")[1]
