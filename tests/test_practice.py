"""Practice reports (SPEC §6): the two taps, the automatic dispatcher, and nothing real touched."""
import random
import re
from datetime import datetime, timedelta

import pytest

from app import realtime
from app import models
from app.extensions import db
from app.practice import coach, stats, store
from app.practice.ws import PracticeFeed

from .conftest import form_fields, login_as

# Each test here that uses the app runs on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases

STATUS_ORDER = ["received", "dispatched", "en_route", "arrived"]
TEXTS = ["台所から火が出ています", "父が倒れて息が苦しそうです", "千歳市東雲町2丁目のコンビニの前です", "早く来てください",
         "動けません", "ここにいます", "はい", "いいえ", "わからない", "していない", "家", "自分", "", "   ",
         "あ" * 1001, "煙が見える", "駅の近く"]


@pytest.fixture
def resident_client(app, client):
    login_as(client, app.accounts["residents"][0])
    return client


@pytest.fixture
def real_side_effects(app, monkeypatch):
    """Record everything the real side could do: hub notices, reports, ledger events, mail."""
    published = []
    original = realtime.hub.publish
    monkeypatch.setattr(realtime.hub, "publish", lambda *args, **kw: (published.append(args), original(*args, **kw)))
    # Not the PostgreSQL listener's wake-ups when its LISTEN is in place: they name no report, and
    # come from the listener, not from anything practice did.
    recorder = realtime.hub.subscribe(
        [f"hq:{hq_id}" for hq_id in range(1, 100)] + [f"report:{i}" for i in range(1, 100)],
        lambda notice: notice == realtime.Notice(notice.channel) or published.append(notice))
    mail = getattr(models, "OutgoingMail", None)

    def counts():
        with db.connection_context():
            return {"reports": models.Report.select().count(), "events": models.ReportEvent.select().count(),
                    "mail": mail.select().count() if mail is not None else 0}

    before = counts()
    yield lambda: (published, before, counts())
    recorder.close()


def chips(page):
    return re.findall(r'name="body" value="([^"]+)"', page.text)


def test_practice_start_and_chat_carry_the_banner_and_answer_automatically(resident_client, real_side_effects):
    start = resident_client.get("/practice")
    assert "<title>練習中：" in start.text and 'id="practice-banner"' in start.text
    assert 'role="status"' in start.text and 'action="/practice?' not in start.text
    place_page = resident_client.get("/practice?kind=ambulance")
    assert 'action="/practice/reports"' in place_page.text and "練習中" in place_page.text
    response = resident_client.post("/practice/reports", data={
        **form_fields(place_page), "kind": "ambulance", "place": "home"})
    assert response.status_code == 303
    chat_url = response.headers["Location"]
    assert re.fullmatch(r"/practice/reports/P-[0-9A-F]{6}", chat_url)
    chat = resident_client.get(chat_url)
    assert "<title>練習中：" in chat.text and "練習用の自動指令員です" in chat.text
    assert "病気ですか？けがですか？" in chat.text and "受付しました" in chat.text
    assert f'{chat_url}/ws?after=' in chat.text and re.search(r"/proxy\?[^\"]*practice=1", chat.text)
    for _ in range(5):
        answer = chips(chat)[0]
        posted = resident_client.post(f"{chat_url}/messages", data={**form_fields(chat), "body": answer})
        assert posted.status_code == 303
        chat = resident_client.get(chat_url)
        assert 'id="practice-banner"' in chat.text
    assert "到着予定" in chat.text and "ほかに伝えたいこと" in chat.text
    resident_client.post(f"{chat_url}/messages", data={**form_fields(chat), "body": "玄関の鍵は開いています"})
    chat = resident_client.get(chat_url)
    assert "到着しました" in chat.text and "よくできたこと" in chat.text and "この練習は終了しました" in chat.text
    refused = resident_client.post(f"{chat_url}/messages", data={**form_fields(chat), "body": "まだ"})
    assert refused.status_code == 400
    log = resident_client.get(f"{chat_url}/log")
    assert "よくできたこと" in log.text and f"{chat_url}/log?t=" in log.text
    assert "最後に練習した日" in resident_client.get("/").text
    published, before, after = real_side_effects()
    assert published == [] and before == after


def test_another_residents_practice_is_not_found(app, resident_client):
    with app.app_context():
        theirs, _ = coach.open_session(999, 1, kind="fire", place_kind="home", client_id="someone-elses-tap")
    assert resident_client.get(f"/practice/reports/{theirs.case_number}").status_code == 404
    assert resident_client.get(f"/practice/reports/{theirs.case_number}/log").status_code == 404


def test_the_real_start_page_says_when_the_resident_last_practised(resident_client):
    assert "まだ練習していません" in resident_client.get("/").text
    page = resident_client.get("/practice?kind=fire")
    resident_client.post("/practice/reports", data={**form_fields(page), "kind": "fire", "place": "home"})
    assert "最後に練習した日" in resident_client.get("/").text


def test_practised_counts_are_residents_per_hq_since_a_date(app):
    with app.app_context():
        for resident_id, hq_id in [(1, 1), (1, 1), (2, 1), (3, 2)]:
            coach.open_session(resident_id, hq_id, kind="fire", place_kind="home",
                               client_id=f"client-{random.getrandbits(48):x}")
        old, _ = coach.open_session(4, 2, kind="fire", place_kind="home", client_id="client-old-one")
        (store.PracticeSession.update(created_at=datetime(2020, 1, 1))
         .where(store.PracticeSession.id == old.id).execute())
        since = store.utcnow() - timedelta(days=90)
        assert stats.practised_counts(since) == {1: 2, 2: 1}
        assert stats.practised_counts(datetime(2019, 1, 1)) == {1: 2, 2: 2}


def _client_id(rng):
    return "c" + "".join(rng.choice("abcdef0123456789") for _ in range(15))


def _run_session(rng, resident_id):
    """One generated practice: random taps, texts, retries, "disconnects" (re-reads); returns it."""
    kind = rng.choice(coach.KINDS)
    tap_id = _client_id(rng)
    practice, _ = coach.open_session(resident_id, rng.randint(1, 5), kind=kind,
                                     place_kind=rng.choice(coach.PLACE_KINDS), client_id=tap_id,
                                     has_fix=rng.random() < 0.5)
    if rng.random() < 0.2:
        assert coach.open_session(resident_id, 1, kind=kind, place_kind="home", client_id=tap_id)[0].id == practice.id
    sent = []
    for _ in range(rng.randint(0, 14)):
        practice = store.PracticeSession.get_by_id(practice.id)
        action = rng.random()
        if action < 0.15:
            # A disconnect: the page resumes from whatever it had.
            after = rng.randint(0, practice.last_seq)
            assert [e.seq for e in practice.events_after(after)] == list(range(after + 1, practice.last_seq + 1))
            continue
        if action < 0.25 and sent:
            client_id, body = rng.choice(sent)
        else:
            choices = coach.current_choices(practice)
            body = rng.choice(choices) if choices and action < 0.7 else rng.choice(TEXTS)
            client_id = _client_id(rng)
        try:
            event, created = coach.post_message(practice, body=body, client_id=client_id)
        except coach.PracticeInputError:
            continue
        assert event.actor == "resident" and event.client_id == client_id
        sent.append((client_id, body))
    return store.PracticeSession.get_by_id(practice.id)


def _check_session(practice):
    events = list(practice.events_after(0))
    assert [e.seq for e in events] == list(range(1, practice.last_seq + 1))
    client_ids = [e.client_id for e in events if e.client_id]
    assert len(client_ids) == len(set(client_ids))
    statuses = [e.data["status"] for e in events if e.kind == "status"]
    assert statuses == STATUS_ORDER[:len(statuses)]
    if not practice.is_open:
        assert "よくできたこと" in events[-1].body and statuses == STATUS_ORDER
    assert practice.staff_read_seq <= practice.last_seq


def test_a_thousand_generated_practice_sessions_touch_nothing_real(app, real_side_effects):
    rng = random.Random(119)
    heard = []
    watcher = store.practice_hub.subscribe([f"practice:{i}" for i in range(1, 1200)], heard.append)
    with app.app_context():
        sessions = [_run_session(rng, resident_id=rng.randint(1, 50)) for _ in range(1000)]
        for practice in sessions:
            _check_session(practice)
        assert sum(not s.is_open for s in sessions) > 100
    watcher.close()
    assert heard, "practice notices go to the practice hub"
    published, before, after = real_side_effects()
    assert published == [] and before == after


def test_generated_sessions_over_http_and_the_socket_protocol_touch_nothing_real(app, resident_client,
                                                                                real_side_effects):
    rng = random.Random(7)
    for _ in range(25):
        page = resident_client.get(f"/practice?kind={rng.choice(coach.KINDS)}")
        kind = re.search(r'name="kind" value="([a-z]+)"', page.text).group(1)
        chat_url = resident_client.post("/practice/reports", data={
            **form_fields(page), "kind": kind, "place": rng.choice(["home", "current"])}).headers["Location"]
        for _ in range(rng.randint(1, 9)):
            chat = resident_client.get(chat_url)
            options = chips(chat) or ["ありがとう"]
            body = rng.choice(options + TEXTS[:5])
            resident_client.post(f"{chat_url}/messages", data={**form_fields(chat), "body": body})
        practice = store.PracticeSession.get(store.PracticeSession.case_number == chat_url.rsplit("/", 1)[1])
        _check_session(practice)
        # The socket side of the same protocol, as after a disconnect: resume, send, retry.
        with app.test_request_context():
            feed = PracticeFeed(practice.id)
            frames = feed.on_frame('{"type": "resume", "after": 0}')
            assert f'data-seq="{practice.last_seq}"' in "".join(frames)
            if practice.is_open:
                message = '{"type": "message", "client_id": "socket-msg-0001", "body": "はい"}'
                first, again = feed.on_frame(message), feed.on_frame(message)
                assert 'data-client-id="socket-msg-0001"' in first[0] and 'data-client-id="socket-msg-0001"' in again[0]
    published, before, after = real_side_effects()
    assert published == [] and before == after


def test_the_proxy_card_from_practice_is_marked_and_never_names_a_real_case(resident_client):
    page = resident_client.get("/?kind=fire")
    real = resident_client.post("/reports", data={**form_fields(page), "kind": "fire", "place": "home"})
    case_number = real.headers["Location"].rsplit("/", 1)[1]
    practice_card = resident_client.get("/proxy?practice=1&kind=fire")
    assert "<title>練習中：" in practice_card.text and 'id="practice-banner"' in practice_card.text
    assert case_number not in practice_card.text
    assert 'id="practice-banner"' not in resident_client.get("/proxy").text


def test_the_hq_admin_sees_how_many_residents_practised(app, resident_client):
    page = resident_client.get("/practice?kind=fire")
    resident_client.post("/practice/reports", data={**form_fields(page), "kind": "fire", "place": "home"})
    admin = app.test_client()
    login_as(admin, next(a for a in app.accounts["admins"] if a["hq"] == "chitose"), path="/dispatch/login")
    assert "過去90日に練習通報をした利用者：1人" in admin.get("/admin/").text
