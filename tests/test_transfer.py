"""Handing a case to another HQ (SPEC §8): re-routed explicitly, told to the resident, gone from the old HQ."""
import json

import pytest
import websocket

from app.chat_socket import ReportFeed, frame_handler
from app.extensions import db
from app.realtime import AccessEnded
from app.models import AuditEntry, Headquarters, Report, ReportEvent, Staff
from app.dispatch.locating import request_location
from app.reporting import (CaseChanged, InvalidInput, answer_question, ask_question, mark_displayed, post_message, set_status,
                           transfer_report)

from .conftest import form_fields, login_as, start_report
from .http_session import HttpSession
from .test_sockets import open_socket, receive_until  # noqa: F401  (fixture)

# Each test here that uses the app runs on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def dispatcher_of(app, hq):
    return next(a for a in app.accounts["dispatchers"] if a["hq"] == hq)


@pytest.fixture
def case(app):
    """A report received by Chitose, and clients for its resident and both HQs' dispatchers."""
    resident = app.test_client()
    login_as(resident, app.accounts["residents"][0])
    chat_url = start_report(resident).headers["Location"]
    chitose, eniwa = app.test_client(), app.test_client()
    login_as(chitose, dispatcher_of(app, "chitose"), path="/dispatch/login")
    login_as(eniwa, dispatcher_of(app, "eniwa"), path="/dispatch/login")
    with db.connection_context():
        report_id = Report.get().id
    return resident, chat_url, chitose, eniwa, f"/dispatch/cases/{report_id}"


def transfer(client, case_url, hq, reason=""):
    page = client.get(case_url)
    return client.post(f"{case_url}/transfer", data={"csrf_token": form_fields(page)["csrf_token"],
                                                     "hq": hq, "reason": reason})


def test_a_transfer_moves_the_case_with_its_history_and_tells_the_resident(case):
    resident, chat_url, chitose, eniwa, case_url = case
    chat = resident.get(chat_url)
    resident.post(f"{chat_url}/messages", data={**form_fields(chat), "body": "恵庭との境です"})
    response = transfer(chitose, case_url, "eniwa", reason="現場は恵庭市側")
    assert response.status_code == 303 and response.headers["Location"] == "/dispatch/"
    record = chitose.get(case_url)  # the old HQ keeps a read-only record up to the transfer
    assert record.status_code == 200 and "閲覧できます" in record.text and 'id="compose"' not in record.text
    page = eniwa.get(case_url)
    assert page.status_code == 200 and "恵庭との境です" in page.text  # the whole history
    assert "千歳市消防本部から恵庭市消防本部に引き継ぎました" in page.text
    told = resident.get(chat_url).text
    assert "恵庭市消防本部" in told and "引き継ぎました" in told


@pytest.mark.parametrize("hq, message", [
    ("chitose", "引き継ぎ先の消防本部を選んでください"),
    ("", "引き継ぎ先の消防本部を選んでください"),
    ("atlantis", "引き継ぎ先の消防本部を選んでください"),
    ("minamisorachi", "NET119を使っていません"),
])
def test_a_bad_transfer_is_refused_and_changes_nothing(case, hq, message):
    _, _, chitose, _, case_url = case
    response = transfer(chitose, case_url, hq)
    assert response.status_code == 400 and message in response.text
    assert chitose.get(case_url).status_code == 200


def test_another_hq_cannot_transfer_a_case_it_does_not_have(case):
    _, _, _, eniwa, case_url = case
    page = eniwa.get("/dispatch/")
    response = eniwa.post(f"{case_url}/transfer", data={"csrf_token": form_fields(page)["csrf_token"],
                                                        "hq": "sapporo"})
    assert response.status_code == 404


def test_the_old_hqs_open_case_socket_is_closed_by_the_transfer(live_server, open_socket):  # noqa: F811
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    chitose = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    case_number = resident.start_report()
    report_id = chitose.report_id(case_number)
    console = open_socket(chitose, f"/dispatch/cases/{report_id}/ws")
    mine = open_socket(resident, f"/reports/{case_number}/ws")
    console.send(json.dumps({"type": "resume", "after": 1}))
    mine.send(json.dumps({"type": "resume", "after": 1}))
    fields = chitose.form(f"/dispatch/cases/{report_id}")
    status, _, _ = chitose.request(f"/dispatch/cases/{report_id}/transfer",
                                   {"csrf_token": fields["csrf_token"], "hq": "eniwa", "reason": ""})
    assert status == 303
    frame = receive_until(mine, "引き継ぎました")[-1]
    assert 'id="case-hq"' in frame and "恵庭市消防本部" in frame
    opcode, data = console.recv_data(control_frame=True)
    while opcode != websocket.ABNF.OPCODE_CLOSE:
        opcode, data = console.recv_data(control_frame=True)
    assert int.from_bytes(data[:2], "big") == 4403


def queue_item(page, case_url):
    return page.split(f'href="{case_url}"')[1].split("</li>")[0]


def test_the_receiving_hq_sees_a_transferred_case_as_new_and_every_message_unread(case):
    resident, chat_url, chitose, eniwa, case_url = case
    resident.post(f"{chat_url}/messages", data={**form_fields(resident.get(chat_url)), "body": "恵庭との境です"})
    chitose.get(case_url)  # Chitose reads it all
    assert "未読" not in queue_item(chitose.get("/dispatch/").text, case_url)
    assert transfer(chitose, case_url, "eniwa").status_code == 303
    item = queue_item(eniwa.get("/dispatch/").text, case_url)
    assert "未確認" in item and "未読 1件" in item  # nobody at Eniwa has seen any of it
    eniwa.get(case_url)
    item = queue_item(eniwa.get("/dispatch/").text, case_url)
    assert "未確認" not in item and "未読" not in item


def bubble_state(page, text):
    bubble = page.split(text)[1].split("</li>")[0]
    return "既読" if 'data-state="read"' in bubble else "届きました" if 'data-state="stored"' in bubble else None


def test_what_the_resident_saw_read_stays_read_after_a_transfer(case, app):
    """The old HQ did read it; the new HQ's reading starts again and takes over once it passes that."""
    resident, chat_url, chitose, eniwa, case_url = case
    resident.post(f"{chat_url}/messages", data={**form_fields(resident.get(chat_url)), "body": "恵庭との境です"})
    chitose.get(case_url)
    transfer(chitose, case_url, "eniwa")
    resident.post(f"{chat_url}/messages", data={**form_fields(resident.get(chat_url)), "body": "まだ待っています"})
    for page in (resident.get(chat_url).text, resident.get(f"{chat_url}/log").text):
        assert bubble_state(page, "恵庭との境です") == "既読"
        assert bubble_state(page, "まだ待っています") == "届きました"
    # Nobody at Eniwa has opened it: the page's notice waits for its time (tests/test_unseen.py).
    assert 'id="unseen"' in resident.get(chat_url).text
    eniwa.get(case_url)
    page = resident.get(chat_url).text
    assert bubble_state(page, "恵庭との境です") == "既読" and bubble_state(page, "まだ待っています") == "既読"
    assert 'id="unseen"' not in page


def staff_of(app, hq):
    return Staff.get(Staff.login == dispatcher_of(app, hq)["login"])


def test_a_dispatchers_message_sent_as_the_case_is_handed_away_is_refused_and_kept_as_unsent(app, case):
    """The console read the case at Chitose; the transfer commits before its message is stored.

    The resident must not get a message from an HQ that no longer handles the case (and
    the new HQ must not seem to have said it), and the dispatcher must be told where it went.
    """
    with db.connection_context():
        chitose = staff_of(app, "chitose")
        as_read = Report.get()  # the console's copy, read before the transfer
        transfer_report(Report.get_by_id(as_read.id), Headquarters.get(Headquarters.code == "eniwa"), chitose)
        with pytest.raises(CaseChanged) as refused:
            post_message(as_read, actor="staff", staff=chitose, body="そのまま動かないでください",
                         client_id="sent-as-handed-01")
        assert "恵庭市消防本部" in refused.value.ja and "送られていません" in refused.value.ja
        assert not ReportEvent.select().where(ReportEvent.body == "そのまま動かないでください").exists()
        unsent = AuditEntry.get((AuditEntry.report == as_read.id) & (AuditEntry.action == "message_unsent"))
        assert unsent.staff_id == chitose.id and unsent.detail["body"] == "そのまま動かないでください"
        assert unsent.detail["to"] == "eniwa"


def test_a_residents_message_that_meets_the_close_is_refused_not_left_where_nobody_reads_it(app, case):
    """A closed case leaves every queue: a message stored after the close would say 届きました to no one."""
    with db.connection_context():
        as_read = Report.get()  # the resident's page, read before the dispatcher closed the case
        set_status(Report.get_by_id(as_read.id), "closed", staff_of(app, "chitose"))
        with pytest.raises(InvalidInput) as refused:
            post_message(as_read, actor="resident", body="まだ来ません", client_id="after-close-01")
        assert "終了" in refused.value.ja
        assert not ReportEvent.select().where(ReportEvent.body == "まだ来ません").exists()


def test_the_old_hqs_read_marker_arriving_after_the_transfer_does_not_mark_it_read_at_the_new_hq(app, case):
    with db.connection_context():
        as_read = Report.get()
        transfer_report(Report.get_by_id(as_read.id), Headquarters.get(Headquarters.code == "eniwa"),
                        staff_of(app, "chitose"))
        mark_displayed(as_read, "staff", as_read.last_seq)
        assert Report.get_by_id(as_read.id).staff_read_seq == 0  # still 未確認 at Eniwa


def test_a_retry_after_the_transfer_of_a_message_stored_before_it_is_not_called_unsent(app, case):
    with db.connection_context():
        chitose = staff_of(app, "chitose")
        as_read = Report.get()
        sent, _ = post_message(as_read, actor="staff", staff=chitose, body="向かっています", client_id="before-handed-01")
        transfer_report(Report.get_by_id(as_read.id), Headquarters.get(Headquarters.code == "eniwa"), chitose)
        again, created = post_message(as_read, actor="staff", staff=chitose, body="向かっています",
                                      client_id="before-handed-01")
        assert (again.seq, created) == (sent.seq, False)
        assert not AuditEntry.select().where(AuditEntry.action == "message_unsent").exists()


def test_a_dispatchers_frame_that_meets_the_transfer_closes_the_socket_and_keeps_the_words(app, case):
    """The frame came in before the socket heard of the transfer: the socket closes (4403), the page goes
    to its data-gone-url, which says where the case went, and the words are there, marked unsent."""
    _, _, chitose_console, _, case_url = case
    gone_url = chitose_console.get(case_url).text.split('data-gone-url="')[1].split('"')[0]
    with app.app_context(), db.connection_context():
        chitose = staff_of(app, "chitose")
        report = Report.get()

        def still_ours(now):  # as dispatch/ws.py checks every read of the case
            if now is None or now.receiving_hq_id != chitose.hq_id:
                raise AccessEnded()

        on_frame = frame_handler(ReportFeed(report.id, "staff", sent=report.last_seq, check=still_ours),
                                 staff=chitose, max_chars=1000)
        transfer_report(report, Headquarters.get(Headquarters.code == "eniwa"), chitose)
        with pytest.raises(AccessEnded):
            on_frame(json.dumps({"type": "message", "client_id": "frame-after-01", "body": "窓を開けてください"}))
        assert not ReportEvent.select().where(ReportEvent.body == "窓を開けてください").exists()
    gone = chitose_console.get(gone_url.replace("&amp;", "&")).text
    assert "恵庭市消防本部に引き継がれました" in gone
    unsent = gone.split('id="unsent"')[1].split("</section>")[0]
    assert "窓を開けてください" in unsent and "恵庭市消防本部に電話" in unsent
    assert "窓を開けてください" in chitose_console.get(case_url).text  # and on the read-only record


@pytest.mark.parametrize("gone", ["abc", "0", "-1", "99999999999999999999999", "999999"])
def test_a_bad_or_foreign_gone_case_on_the_queue_is_ignored(case, gone):
    _, _, chitose, _, _ = case
    page = chitose.get(f"/dispatch/?gone={gone}")
    assert page.status_code == 200 and "引き継がれました" not in page.text


def event_line(page, kind):
    return page.split(f"event--{kind}")[1].split("</li>")[0]


def test_a_resident_who_chose_english_reads_the_transfer_line_in_english(case):
    resident, chat_url, chitose, eniwa, case_url = case
    resident.set_cookie("net119_lang", "en")
    assert transfer(chitose, case_url, "eniwa").status_code == 303
    for page in (resident.get(chat_url).text, resident.get(f"{chat_url}/log").text):
        line = event_line(page, "transfer")
        # The HQs' names are Japanese in the English line: marked so, for a screen reader.
        assert ('Your report was handed over from <span lang="ja">千歳市消防本部</span> '
                'to <span lang="ja">恵庭市消防本部</span>.') in line
        assert "引き継ぎました" not in line
    resident.set_cookie("net119_lang", "ja")
    assert "千歳市消防本部から恵庭市消防本部に引き継ぎました" in event_line(resident.get(chat_url).text, "transfer")
    assert "Your report" not in event_line(eniwa.get(case_url).text, "transfer")  # the console stays Japanese


def test_a_question_or_location_request_that_meets_the_transfer_is_refused_not_asked_in_the_new_hqs_name(app, case):
    with db.connection_context():
        chitose = staff_of(app, "chitose")
        as_read = Report.get()
        transfer_report(Report.get_by_id(as_read.id), Headquarters.get(Headquarters.code == "eniwa"), chitose)
        with pytest.raises(CaseChanged) as refused:
            ask_question(as_read, staff=chitose, body="けがをしていますか", choices=["頭", "足"],
                         client_id="asked-as-handed-01")
        assert "恵庭市消防本部" in refused.value.ja
        with pytest.raises(CaseChanged):
            request_location(as_read, chitose, "located-as-handed-01")
        assert not ReportEvent.select().where(ReportEvent.kind.in_(("question", "position_request"))
                                              & (ReportEvent.actor == "staff")).exists()
        kept = AuditEntry.get(AuditEntry.action == "message_unsent")
        assert kept.detail["body"] == "けがをしていますか"


def test_a_question_that_meets_the_close_is_refused(app, case):
    with db.connection_context():
        as_read = Report.get()
        set_status(Report.get_by_id(as_read.id), "closed", staff_of(app, "chitose"))
        with pytest.raises(CaseChanged):
            ask_question(as_read, staff=staff_of(app, "chitose"), body="まだいますか", client_id="asked-closed-01")
        assert not ReportEvent.select().where(ReportEvent.body == "まだいますか").exists()


def test_a_residents_answer_that_meets_the_close_is_refused_not_left_where_nobody_reads_it(app, case):
    with db.connection_context():
        as_read = Report.get()  # the resident's page, read before the dispatcher closed the case
        question = ReportEvent.get((ReportEvent.report == as_read.id) & (ReportEvent.kind == "question"))
        set_status(Report.get_by_id(as_read.id), "closed", staff_of(app, "chitose"))
        with pytest.raises(InvalidInput) as refused:
            answer_question(as_read, question.seq, question.data["choices"][0], "answer-after-close-01")
        assert "終了" in refused.value.ja
        assert not ReportEvent.select().where(ReportEvent.kind == "answer").exists()


def outbox_of(page):
    return page.split('data-outbox="')[1].split('"')[0]


def test_a_case_handed_back_does_not_resend_what_waited_unsent_before_it_left(case):
    """The console keeps unsent messages in the browser under the chat's outbox key and sends them
    when the chat opens. A message left there when the case was handed away (kept as unsent) must not
    reach the resident hours later because the case came back: the key changes with each transfer."""
    _, _, chitose, eniwa, case_url = case
    before = outbox_of(chitose.get(case_url).text)
    assert transfer(chitose, case_url, "eniwa").status_code == 303
    at_eniwa = outbox_of(eniwa.get(case_url).text)
    assert transfer(eniwa, case_url, "chitose").status_code == 303
    back = outbox_of(chitose.get(case_url).text)
    assert len({before, at_eniwa, back}) == 3
    assert back == outbox_of(chitose.get(case_url).text)  # a reload keeps it: nothing typed is lost
