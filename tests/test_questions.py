"""Question trees (SPEC §3.2): valid data, every path ends, every answer recorded once."""
import json
from types import SimpleNamespace

import pytest

from app import questions
from app.extensions import db
from app.models import Headquarters, Report, ReportEvent, Resident, Staff
from app.questions import TreeError, parse_tree, tree_for
from app.reporting import InvalidInput, answer_question, ask_question, open_questions, open_report, set_status

from .conftest import form_fields, login_as, start_report
from .test_sockets import open_socket  # noqa: F401  (a fixture)

FIRE_PATH = ["家", "いる", "はい"]


def small_tree(**changes):
    """A valid two-question fire tree, with ``changes`` applied to its questions."""
    document = {"kind": "fire", "start": "a", "questions": {
        "a": {"ja": "一", "en": "One", "next": "b", "choices": [{"ja": "x", "en": "X"}, {"ja": "y", "en": "Y"}]},
        "b": {"ja": "二", "en": "Two", "choices": [{"ja": "z", "en": "Z"}]}}}
    document["questions"].update(changes)
    return document


@pytest.mark.parametrize("kind", questions.TREE_KINDS)
def test_every_default_tree_is_valid_and_every_path_ends(kind):
    tree = tree_for(None, kind)
    paths = tree.paths()
    assert paths
    for path in paths:
        # A path is a chain of the tree's own questions that stops at a choice with nothing next.
        assert path[0][0] == tree.start
        for (node, answer), (following, _) in zip(path, path[1:]):
            assert questions.next_node(tree, node, answer) == following
        assert questions.next_node(tree, *path[-1]) is None
    assert {node for path in paths for node, _ in path} == set(tree.questions)


def test_the_default_trees_ask_the_spec_questions_in_order():
    fire = tree_for(None, "fire")
    assert [node for node, _ in fire.paths()[0]] == ["burning", "trapped", "safe"]
    assert [c.ja for c in fire.questions["burning"].choices] == ["家", "車", "草・ゴミ", "その他"]
    ambulance = tree_for(None, "ambulance")
    assert [ambulance.questions[n].ja for n, _ in ambulance.paths()[0]][:5] == [
        "病気ですか？けがですか？", "誰ですか？", "意識はありますか？", "呼吸はしていますか？", "ひどい出血はありますか？"]
    assert tree_for(None, "other") is None
    kind = tree_for(None, "unknown").questions["kind"]
    assert kind.ja == "火事ですか？救急ですか？"
    assert [(c.ja, c.then) for c in kind.choices] == [("火事", "fire"), ("救急", "ambulance"), ("その他", None)]


@pytest.mark.parametrize("change, problem", [
    ({"b": {"ja": "二", "en": "Two", "choices": [{"ja": "z", "en": "Z", "next": "a"}]}}, "loop"),
    ({"b": {"ja": "二", "en": "Two", "choices": [{"ja": "z", "en": "Z", "next": "c"}]}}, "does not exist"),
    ({"c": {"ja": "三", "en": "Three", "choices": [{"ja": "z", "en": "Z"}]}}, "never asked: c"),
    ({"b": {"ja": "二", "en": "Two", "choices": [{"ja": "z", "en": "Z"}, {"ja": "z", "en": "Z2"}]}}, "same text"),
    ({"b": {"ja": "二", "choices": [{"ja": "z", "en": "Z"}]}}, r"b \(en\)"),
    ({"b": {"ja": "二", "en": "Two", "choices": [{"ja": "", "en": "Z"}]}}, r"choice 1 \(ja\)"),
    ({"b": {"ja": "二", "en": "Two", "choices": []}}, "at least one choice"),
    ({"b": {"ja": "二", "en": "Two", "prefill": "income", "choices": [{"ja": "z", "en": "Z"}]}}, "prefill"),
    ({"b": {"ja": "二", "en": "Two", "choices": [{"ja": "z", "en": "Z", "then": "ambulance"}]}}, "only the unknown tree"),
])
def test_a_broken_tree_is_refused_with_the_reason(change, problem):
    with pytest.raises(TreeError, match=problem):
        parse_tree(small_tree(**change), "fire")


def test_a_tree_of_the_wrong_kind_or_start_is_refused():
    with pytest.raises(TreeError, match="kind"):
        parse_tree(small_tree(), "ambulance")
    with pytest.raises(TreeError, match="start"):
        parse_tree({**small_tree(), "start": "nowhere"}, "fire")


def test_an_hq_can_have_its_own_tree(tmp_path):
    own = tmp_path / "chitose"
    own.mkdir()
    (own / "fire.json").write_text(json.dumps(small_tree()), encoding="utf-8")
    chitose, other = SimpleNamespace(code="chitose"), SimpleNamespace(code="sapporo")
    assert tree_for(chitose, "fire", tmp_path).questions["a"].ja == "一"
    assert tree_for(other, "fire", tmp_path).start == "burning"
    assert tree_for(chitose, "ambulance", tmp_path).start == "illness_or_injury"


# ---- Walking a tree through the ledger -------------------------------------------------

@pytest.fixture
def ledger(app):
    with app.app_context(), db.connection_context():
        yield SimpleNamespace(resident=Resident.get(Resident.login == app.accounts["residents"][0]["login"]),
                              staff=Staff.get(Staff.role == "dispatcher"), taps=iter(range(10**6)))


def new_report(ledger, kind, place_kind="home"):
    report, _ = open_report(ledger.resident, kind=kind, place_kind=place_kind,
                            client_id=f"open-{next(ledger.taps):06d}")
    return report


def tap(ledger, report, answer, client_id=None):
    """Answer the open tree question by tapping ``answer``; return (event, created)."""
    question = next(q for q in open_questions(report) if "tree" in q.data)
    return answer_question(report, question.seq, answer, client_id or f"tap-{next(ledger.taps):06d}")


def answers_of(report):
    return [(e.body, e.actor) for e in ReportEvent.select().where(
        (ReportEvent.report == report) & (ReportEvent.kind == "answer")).order_by(ReportEvent.seq)]


def covering_paths(tree):
    """Paths that between them tap every choice of every question at least once."""
    width = max(len(q.choices) for q in tree.questions.values())
    chosen = []
    for i in range(width):
        path, node = [], tree.start
        while node is not None:
            choice = tree.questions[node].choices[i % len(tree.questions[node].choices)]
            path.append(choice.ja)
            node = choice.next
        chosen.append(path)
    return chosen


@pytest.mark.parametrize("kind", questions.KIND_TREES)
def test_tapping_along_every_choice_ends_the_tree_with_each_answer_recorded_once(ledger, kind):
    tree = tree_for(None, kind)
    for path in covering_paths(tree):
        report, tapped = new_report(ledger, kind), []
        for answer in path:
            if not open_questions(report):
                break  # the profile answered the rest (the patient is the user)
            event, created = tap(ledger, report, answer)
            tapped.append(answer)
            assert created
            # The same tap again (a retry) returns the stored answer and records nothing.
            again, created_again = answer_question(report, event.data["question_seq"], answer, event.client_id)
            assert (again.id, created_again) == (event.id, False)
        assert open_questions(report) == []
        recorded = answers_of(report)
        assert [body for body, actor in recorded if actor == "resident"] == tapped
        # Whatever the resident did not tap, the profile answered: the path has an answer for every question.
        assert len(recorded) == len(path) and all(actor == "system" for _, actor in recorded[len(tapped):])
        asked = ReportEvent.select().where((ReportEvent.report == report) & (ReportEvent.kind == "question"))
        assert asked.count() == len(recorded)


def test_the_tree_asks_one_question_at_a_time_with_its_choices(ledger):
    report = new_report(ledger, "fire")
    first, = open_questions(report)
    assert first.actor == "system" and first.body == "何が燃えていますか？"
    assert first.data == {"tree": "fire", "node": "burning", "body_en": "What is burning?",
                          "choices": ["家", "車", "草・ゴミ", "その他"],
                          "choices_en": ["A house", "A car", "Grass or rubbish", "Something else"]}
    event, _ = tap(ledger, report, "家")
    assert (event.kind, event.actor, event.body) == ("answer", "resident", "家")
    assert event.data == {"question_seq": first.seq, "tree": "fire", "node": "burning"}
    second, = open_questions(report)
    assert second.body == "逃げ遅れた人・けが人はいますか？" and second.seq == event.seq + 1


def test_age_and_sex_come_from_the_profile_when_the_patient_is_the_user(ledger):
    report = new_report(ledger, "ambulance")
    for answer in ["急病", "自分", "ある", "している", "ない"]:
        tap(ledger, report, answer)
    assert open_questions(report) == []
    assert answers_of(report)[-2:] == [("40代", "system"), ("男性", "system")]  # born 1985, 男性


def test_age_and_sex_are_asked_when_the_patient_is_someone_else(ledger):
    report = new_report(ledger, "ambulance")
    for answer in ["けが", "家族", "ある", "している", "ある"]:
        tap(ledger, report, answer)
    question, = open_questions(report)
    assert question.data["node"] == "age"
    tap(ledger, report, "70代")
    tap(ledger, report, "女性")
    assert open_questions(report) == [] and all(actor == "resident" for _, actor in answers_of(report))


def test_no_tree_for_other(ledger):
    assert open_questions(new_report(ledger, "other")) == []


def test_a_one_tap_report_is_asked_its_kind_and_then_that_kinds_questions(ledger):
    report = new_report(ledger, "unknown", "current")
    question, = open_questions(report)
    assert question.data["tree"] == "unknown" and question.body == "火事ですか？救急ですか？"
    tap(ledger, report, "救急")
    assert Report.get_by_id(report.id).kind == "ambulance"
    assert [q.body for q in open_questions(report)] == ["病気ですか？けがですか？"]
    for answer in ["けが", "他の人", "ない", "していない", "ある", "80代以上", "わからない"]:
        tap(ledger, report, answer)
    assert open_questions(report) == []
    assert [b for b, _ in answers_of(report)][:2] == ["救急", "けが"]


def test_a_one_tap_report_that_is_neither_stays_unknown_with_no_more_questions(ledger):
    report = new_report(ledger, "unknown", "current")
    tap(ledger, report, "その他")
    assert open_questions(report) == [] and Report.get_by_id(report.id).kind == "unknown"


def test_the_receiving_hqs_own_tree_is_asked(app, ledger, tmp_path):
    own = tmp_path / "chitose"
    own.mkdir()
    (own / "fire.json").write_text(json.dumps(small_tree()), encoding="utf-8")
    app.config["QUESTION_TREES_DIR"] = str(tmp_path)
    report = new_report(ledger, "fire")
    assert Headquarters.get_by_id(report.receiving_hq_id).code == "chitose"
    assert [q.body for q in open_questions(report)] == ["一"]


@pytest.mark.parametrize("seq, answer, client_id, field", [
    (None, "家", "bad-answer-0001", "question"),
    ("x", "家", "bad-answer-0001", "question"),
    (1, "家", "bad-answer-0001", "question"),  # the "opened" event, not a question
    (999, "家", "bad-answer-0001", "question"),
    (True, "家", "bad-answer-0001", "question"),
    ("QUESTION", "ビル", "bad-answer-0001", "choice"),
    ("QUESTION", None, "bad-answer-0001", "choice"),
    ("QUESTION", ["家"], "bad-answer-0001", "choice"),
    ("QUESTION", "家", "x", "client_id"),
    ("QUESTION", "家", None, "client_id"),
])
def test_a_wrong_answer_is_refused_in_both_languages_and_nothing_is_stored(ledger, seq, answer, client_id, field):
    report = new_report(ledger, "fire")
    question, = open_questions(report)
    before = report.last_seq
    with pytest.raises(InvalidInput) as refused:
        answer_question(report, question.seq if seq == "QUESTION" else seq, answer, client_id)
    assert refused.value.field == field and refused.value.ja and refused.value.en
    assert Report.get_by_id(report.id).last_seq == before


def test_a_question_is_answered_once_but_a_retry_is_still_acknowledged(ledger):
    report = new_report(ledger, "fire")
    question, = open_questions(report)
    first, _ = answer_question(report, question.seq, "家", "first-tap-0001")
    with pytest.raises(InvalidInput, match="already been answered"):
        answer_question(report, question.seq, "車", "second-tap-0001")
    again, created = answer_question(report, question.seq, "家", "first-tap-0001")
    assert (again.id, created) == (first.id, False)
    assert answers_of(report) == [("家", "resident")]


def test_a_closed_report_takes_no_answers_and_shows_no_chips(ledger):
    report = new_report(ledger, "fire")
    question, = open_questions(report)
    set_status(report, "closed", ledger.staff)
    assert open_questions(report) == []
    with pytest.raises(InvalidInput, match="closed"):
        answer_question(report, question.seq, "家", "late-tap-0001")


def test_dispatcher_questions_always_offer_yes_no_dont_know(ledger):
    report = new_report(ledger, "other")
    event, created = ask_question(report, staff=ledger.staff, body="外に出られますか？", choices=["階段で", "はい"],
                                  client_id="console-ask-0001")
    assert created and (event.kind, event.actor, event.staff_id) == ("question", "staff", ledger.staff.id)
    assert event.data == {"choices": ["階段で", "はい", "いいえ", "わからない"],
                          "choices_en": ["", "Yes", "No", "I don't know"]}
    assert ask_question(report, staff=ledger.staff, body="外に出られますか？", client_id="console-ask-0001")[1] is False
    answer, _ = answer_question(report, event.seq, "わからない", "resident-tap-0001")
    assert answer.data == {"question_seq": event.seq}
    assert open_questions(report) == []


@pytest.mark.parametrize("body, choices", [("", []), ("あ" * 201, []), ("質問", ["あ" * 41]), ("質問", ["a"] * 7)])
def test_a_wrong_dispatcher_question_is_refused(ledger, body, choices):
    report = new_report(ledger, "other")
    with pytest.raises(InvalidInput):
        ask_question(report, staff=ledger.staff, body=body, choices=choices, client_id="console-ask-0002")
    assert open_questions(report) == []


# ---- Over HTTP, without JavaScript ---------------------------------------------------------

@pytest.fixture
def resident_client(app, client):
    login_as(client, app.accounts["residents"][0])
    return client


def chips(page):
    """(question_seq, [choices]) of every chip form on a page."""
    import re
    return [(int(seq), re.findall(r'name="choice" value="([^"]+)"', body))
            for seq, body in re.findall(r'name="question_seq" value="(\d+)">(.*?)</form>', page.text, re.S)]


def test_fire_at_home_answered_by_plain_form_posts(resident_client):
    chat_url = start_report(resident_client, kind="fire", place="home").headers["Location"]
    for answer in FIRE_PATH:
        page = resident_client.get(chat_url)
        (seq, offered), = chips(page)
        assert answer in offered
        response = resident_client.post(f"{chat_url}/answers", data={
            **form_fields(page), "question_seq": seq, "choice": answer})
        assert response.status_code == 303 and response.headers["Location"].endswith("#choices")
        # The browser's retry of the same post stores nothing more.
        resident_client.post(f"{chat_url}/answers", data={**form_fields(page), "question_seq": seq, "choice": answer})
    assert chips(resident_client.get(chat_url)) == []
    with db.connection_context():
        assert [b for b, _ in answers_of(Report.get())] == FIRE_PATH
    log = resident_client.get(f"{chat_url}/log")
    assert all(answer in log.text for answer in FIRE_PATH)


def test_the_message_frame_carries_the_chips_for_a_page_without_javascript(resident_client):
    chat_url = start_report(resident_client, kind="fire", place="home").headers["Location"]
    log = resident_client.get(f"{chat_url}/log")
    assert 'target="_top"' in log.text and chips(log)[0][1] == ["家", "車", "草・ゴミ", "その他"]


def test_the_message_frame_is_only_in_pages_a_browser_loads_whole(resident_client):
    """htmx parses <noscript> as markup: a frame in what it fetches would load, hidden, and
    refresh itself every few seconds for as long as the chat is open."""
    chat_url = start_report(resident_client, kind="fire", place="home").headers["Location"]
    assert 'class="chat-frame"' in resident_client.get(chat_url).text
    boosted = resident_client.get(chat_url, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.status_code == 200 and 'id="chat-log"' in boosted.text
    assert "chat-frame" not in boosted.text and "HX-Request" in boosted.headers["Vary"]


def test_a_wrong_answer_post_explains_itself(resident_client):
    chat_url = start_report(resident_client, kind="fire", place="home").headers["Location"]
    page = resident_client.get(chat_url)
    (seq, _), = chips(page)
    response = resident_client.post(f"{chat_url}/answers", data={**form_fields(page), "question_seq": seq,
                                                                  "choice": "ビル"})
    assert response.status_code == 400
    assert "答えをボタンから選んでください。" in response.text and "Choose one of the answer buttons." in response.text
    assert chips(response)[0][0] == seq  # the chips are still there to tap


# ---- Over the chat socket (the page's JavaScript path) ---------------------------------

def test_answers_over_the_socket_are_acknowledged_once_and_the_dispatcher_sees_them(live_server, open_socket):
    from .http_session import HttpSession
    from .test_sockets import receive_until

    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    dispatcher = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    case_number = resident.start_report(kind="fire", place="home")
    mine = open_socket(resident, f"/reports/{case_number}/ws")
    console = open_socket(dispatcher, f"/dispatch/cases/{dispatcher.report_id(case_number)}/ws")
    for sock in (mine, console):
        sock.send(json.dumps({"type": "resume", "after": 0}))
    assert "何が燃えていますか？" in receive_until(mine, 'id="choices"')[-1]
    receive_until(console, "何が燃えていますか？")
    tap_frame = {"type": "answer", "client_id": "socket-tap-0001", "question_seq": 2, "choice": "車"}
    mine.send(json.dumps(tap_frame))
    frames = receive_until(mine, 'id="choices"')
    assert any('data-client-id="socket-tap-0001"' in f and "届きました" in f for f in frames)
    assert "逃げ遅れた人・けが人はいますか？" in frames[-1] and 'value="車"' not in frames[-1]
    assert "車" in receive_until(console, "逃げ遅れた人")[-2]
    # A retry (say, after a reconnect) is acknowledged again and stored once.
    mine.send(json.dumps(tap_frame))
    assert 'data-client-id="socket-tap-0001"' in receive_until(mine, "socket-tap-0001")[-1]
    # Only the resident answers; a wrong answer is explained, not stored.
    console.send(json.dumps({**tap_frame, "client_id": "console-tap-0001", "question_seq": 4, "choice": "いる"}))
    assert "Only the resident answers." in receive_until(console, 'id="notice"')[-1]
    mine.send(json.dumps({**tap_frame, "client_id": "socket-tap-0002", "question_seq": 4, "choice": "燃えている"}))
    assert "答えをボタンから選んでください。" in receive_until(mine, 'id="notice"')[-1]
    _, _, log = resident.request(f"/reports/{case_number}/log")
    assert log.count("event--answer") == 1


def test_in_english_the_chips_speak_english_and_send_the_japanese_answer(resident_client):
    chat_url = start_report(resident_client, kind="fire", place="home").headers["Location"]
    resident_client.get("/language/en?next=/")
    page = resident_client.get(chat_url)
    assert '<legend class="answer-chips__question">What is burning?</legend>' in page.text
    assert 'name="choice" value="家" class="button button--choice">A house</button>' in page.text
    assert 'value="早く来てください" class="button button--phrase">Please come quickly</button>' in page.text
    (seq, _), = chips(page)
    resident_client.post(f"{chat_url}/answers", data={**form_fields(page), "question_seq": seq, "choice": "家"})
    with db.connection_context():
        assert answers_of(Report.get()) == [("家", "resident")]


def test_a_client_id_already_used_for_a_message_is_not_taken_for_an_answer(ledger):
    from app.reporting import post_message
    report = new_report(ledger, "fire")
    question, = open_questions(report)
    post_message(report, actor="resident", body="煙が見えます", client_id="reused-id-0001")
    with pytest.raises(InvalidInput) as refused:
        answer_question(report, question.seq, "家", "reused-id-0001")
    assert refused.value.field == "client_id"
    assert answers_of(report) == [] and open_questions(report) == [question]
