"""Choice questions from the console: the resident answers with a chip; bad questions are refused."""
import re

import pytest

from app.extensions import db
from app.models import Report, ReportEvent

from .conftest import form_fields, login_as, start_report
from .test_sockets import open_socket  # noqa: F401  (fixture)

# Each test here that uses the app runs on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


@pytest.fixture
def case(app):
    resident, console = app.test_client(), app.test_client()
    login_as(resident, app.accounts["residents"][0])
    chat_url = start_report(resident, kind="other").headers["Location"]  # no question tree for "other"
    login_as(console, next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose"), path="/dispatch/login")
    with db.connection_context():
        report_id = Report.get().id
    return resident, chat_url, console, f"/dispatch/cases/{report_id}", report_id


def ask(console, case_url, body, choices=""):
    page = console.get(case_url).text
    form = page.split('id="ask"')[1].split("</form>")[0]
    fields = dict(re.findall(r'name="([\w-]+)" (?:type="hidden" )?value="([^"]*)"', form))
    return console.post(f"{case_url}/questions", data={**fields, "ask-body": body, "ask-choices": choices})


def questions_of(report_id):
    with db.connection_context():
        return list(ReportEvent.select().where((ReportEvent.report == report_id) & (ReportEvent.kind == "question"))
                    .order_by(ReportEvent.seq))


def test_a_question_reaches_the_resident_as_chips_and_the_answer_comes_back(case):
    resident, chat_url, console, case_url, report_id = case
    assert ask(console, case_url, "煙は見えますか？", "黒い煙、白い煙").status_code == 303
    (question,) = questions_of(report_id)
    assert question.actor == "staff" and question.staff.login == "chitose-dispatcher"
    assert question.data["choices"] == ["黒い煙", "白い煙", "はい", "いいえ", "わからない"]
    chat = resident.get(chat_url).text
    chips = chat.split('id="choices"')[1]
    for choice in ("黒い煙", "白い煙", "はい", "いいえ", "わからない"):
        assert f'value="{choice}"' in chips
    fields = form_fields(resident.get(chat_url))
    chip_form = chips.split("</form>")[0]
    answer = resident.post(f"{chat_url}/answers", data={
        "csrf_token": fields["csrf_token"], "question_seq": str(question.seq), "choice": "黒い煙",
        "client_id": re.search(r'name="client_id" value="([^"]+)"', chip_form).group(1)})
    assert answer.status_code == 303
    log = console.get(case_url).text.split('id="chat-log"')[1]
    assert "煙は見えますか？" in log and "黒い煙" in log and "（通報者）の答え" in log


@pytest.mark.parametrize("body, choices, message", [
    ("", "", "質問を入力してください"),
    ("   ", "", "質問を入力してください"),
    ("あ" * 201, "", "200文字以内"),
    ("どれですか？", "、".join(f"選択肢{n}" for n in range(7)), "選択肢は6個まで"),
    ("どれですか？", "あ" * 41, "40文字以内"),
])
def test_a_bad_question_is_refused_in_both_languages_and_nothing_stored(case, body, choices, message):
    _, _, console, case_url, report_id = case
    response = ask(console, case_url, body, choices)
    assert response.status_code == 400 and message in response.text and 'lang="en"' in response.text
    assert "<title>エラー：" in response.text
    assert questions_of(report_id) == []


def test_another_hq_cannot_ask(app, case):
    _, _, _, case_url, report_id = case
    eniwa = app.test_client()
    login_as(eniwa, next(a for a in app.accounts["dispatchers"] if a["hq"] == "eniwa"), path="/dispatch/login")
    response = eniwa.post(f"{case_url}/questions", data={
        "ask-csrf_token": form_fields(eniwa.get("/dispatch/"))["csrf_token"], "ask-body": "？",
        "ask-client_id": "other-hq-question-1"})
    assert response.status_code == 404 and questions_of(report_id) == []


def test_the_summary_lists_each_question_with_its_answer(case):
    resident, chat_url, console, case_url, report_id = case
    ask(console, case_url, "煙は見えますか？", "黒い煙")
    ask(console, case_url, "けが人はいますか？")
    summary = console.get(case_url).text.split('id="answers"')[1].split("</section>")[0]
    assert "煙は見えますか？" in summary and summary.count("まだ答えがありません") == 2
    first, _ = questions_of(report_id)
    chips = resident.get(chat_url).text.split('id="choices"')[1].split("</form>")[0]
    resident.post(f"{chat_url}/answers", data={
        "csrf_token": form_fields(resident.get(chat_url))["csrf_token"], "question_seq": str(first.seq),
        "choice": "黒い煙", "client_id": re.search(r'name="client_id" value="([^"]+)"', chips).group(1)})
    summary = console.get(case_url).text.split('id="answers"')[1].split("</section>")[0]
    answered = summary.split("煙は見えますか？")[1].split("</dd>")[0]
    assert "<strong>黒い煙</strong>" in answered and "千歳市消防本部 指令員" in answered
    assert summary.count("まだ答えがありません") == 1


def test_an_answer_refreshes_the_summary_on_the_console_socket(live_server, open_socket):  # noqa: F811
    import json

    from .http_session import HttpSession
    from .test_sockets import receive_until

    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    console = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    case_number = resident.start_report(kind="fire")  # the fire tree asks its first question at once
    report_id = console.report_id(case_number)
    sock = open_socket(console, f"/dispatch/cases/{report_id}/ws")
    sock.send(json.dumps({"type": "resume", "after": 0}))
    frames = receive_until(sock, 'id="answers"')
    assert "何が燃えていますか？" in frames[-1] and "まだ答えがありません" in frames[-1]
    _, _, chat = resident.request(f"/reports/{case_number}")
    seq = re.search(r'name="question_seq" value="(\d+)"', chat).group(1)
    mine = open_socket(resident, f"/reports/{case_number}/ws")
    mine.send(json.dumps({"type": "answer", "client_id": "summary-answer-01", "question_seq": int(seq),
                          "choice": "家"}))
    frame = receive_until(sock, 'id="answers"')[-1]
    assert 'hx-swap-oob="true"' in frame and "<strong>家</strong>" in frame
