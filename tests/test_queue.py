"""The console queue: time since the report, unread messages, and cases nobody has opened yet."""
import json
import re

import pytest

from app.extensions import db
from app.dispatch.queue import UnreadNews
from app.models import Report

from .conftest import form_fields, login_as, start_report
from .http_session import HttpSession
from .test_sockets import open_socket, receive_until  # noqa: F401  (fixture)

# Each test here that uses the app runs on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def item(queue_page, report_id):
    return queue_page.split(f'href="/dispatch/cases/{report_id}"')[1].split("</li>")[0]


def test_unopened_cases_and_unread_messages_are_marked_until_read(app):
    resident, console = app.test_client(), app.test_client()
    login_as(resident, app.accounts["residents"][0])
    chat_url = start_report(resident, kind="other").headers["Location"]
    login_as(console, next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose"), path="/dispatch/login")
    with db.connection_context():
        report_id = Report.get().id
    for text in ("一通目", "二通目"):
        resident.post(f"{chat_url}/messages", data={**form_fields(resident.get(chat_url)), "body": text})
    queue = item(console.get("/dispatch/").text, report_id)
    assert "queue__item--unopened" not in queue  # the class sits on the <li>, before the link
    assert "未確認" in queue and "未読 2件" in queue and re.search(r"受信（<span data-since=\"[^\"]+Z\">\d+分経過", queue)
    console.get(f"/dispatch/cases/{report_id}")
    queue = console.get("/dispatch/").text
    assert "queue__item--unopened" not in queue
    assert "未確認" not in item(queue, report_id) and "未読" not in item(queue, report_id)
    resident.post(f"{chat_url}/messages", data={**form_fields(resident.get(chat_url)), "body": "三通目"})
    assert "未読 1件" in item(console.get("/dispatch/").text, report_id)


def test_the_first_look_stops_the_flash_on_every_console(live_server, open_socket):  # noqa: F811
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    first = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    second = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    case_number = resident.start_report(kind="other")
    report_id = first.report_id(case_number)
    queue = open_socket(second, "/dispatch/ws")
    queue.send(json.dumps({"type": "resume", "after": 0}))
    assert "未確認" in item(receive_until(queue, case_number)[-1], report_id)
    first.request(f"/dispatch/cases/{report_id}")
    frame = receive_until(queue, case_number)[-1]
    assert "未確認" not in item(frame, report_id) and "data-alarm" not in frame


def queue_frames_until(queue, report_id, predicate):
    """Frames from the queue socket until one whose item for ``report_id`` satisfies ``predicate``."""
    frames = []
    while True:
        frames.append(queue.recv())
        if 'id="queue"' in frames[-1] and predicate(item(frames[-1], report_id)):
            return frames


@pytest.fixture
def watched_case(live_server, open_socket):  # noqa: F811
    """A case the dispatcher has opened (nothing unread), its resident's chat socket, and the HQ's queue socket."""
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    console = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    case_number = resident.start_report(kind="fire")  # the fire tree's first question is asked at once
    report_id = console.report_id(case_number)
    console.request(f"/dispatch/cases/{report_id}")
    queue = open_socket(console, "/dispatch/ws")
    queue.send(json.dumps({"type": "resume", "after": 0}))
    assert "未読" not in item(queue_frames_until(queue, report_id, lambda i: True)[-1], report_id)
    chat = open_socket(resident, f"/reports/{case_number}/ws")
    chat.send(json.dumps({"type": "resume", "after": 1}))
    return resident, console, case_number, report_id, queue, chat


def test_a_residents_message_reaches_the_queue_and_alerts_the_console(watched_case):
    resident, console, case_number, report_id, queue, chat = watched_case
    chat.send(json.dumps({"type": "message", "client_id": "queue-news-0001", "body": "息をしていません"}))
    frames = queue_frames_until(queue, report_id, lambda i: "未読 1件" in i)
    # The page alarms for a row whose count rose (static/js/console.js), unless it is on screen.
    assert 'data-unread="1"' in frames[-1].split(f'data-report-id="{report_id}"')[1].split(">")[0]
    assert "data-alarm" not in frames[-1]  # the server's alarm is for a case that arrives
    news = receive_until(queue, 'id="queue-news"')[-1]  # then which case it is, announced
    assert 'role="alert"' in news and case_number in news and "hidden" not in news.split(">")[0]
    assert "新しいメッセージ" in news and "New message" in news
    assert f'href="/dispatch/cases/{report_id}"' in news


def test_an_answer_reaches_the_queue_too(watched_case):
    resident, console, case_number, report_id, queue, chat = watched_case
    question = receive_until(chat, "event--question")[-1]  # the one-tap tree's first question
    seq = int(re.search(r'data-seq="(\d+)"', question).group(1))
    choice = re.search(r'name="choice" value="([^"]+)"', receive_until(chat, 'name="choice"')[-1]).group(1)
    chat.send(json.dumps({"type": "answer", "client_id": "queue-answer-01", "question_seq": seq, "choice": choice}))
    queue_frames_until(queue, report_id, lambda i: "未読 1件" in i)


def test_a_message_without_javascript_reaches_the_queue(watched_case):
    resident, console, case_number, report_id, queue, chat = watched_case
    fields = resident.form(f"/reports/{case_number}")
    status, _, _ = resident.request(f"/reports/{case_number}/messages", {**fields, "body": "動けません"})
    assert status == 303
    queue_frames_until(queue, report_id, lambda i: "未読 1件" in i)


def test_reading_the_case_clears_the_count_and_the_news_without_an_alarm(watched_case):
    resident, console, case_number, report_id, queue, chat = watched_case
    chat.send(json.dumps({"type": "message", "client_id": "queue-news-0002", "body": "早く来てください"}))
    queue_frames_until(queue, report_id, lambda i: "未読 1件" in i)
    assert 'role="alert"' in receive_until(queue, 'id="queue-news"')[-1]
    console.request(f"/dispatch/cases/{report_id}")  # the dispatcher opens it and reads
    frames = queue_frames_until(queue, report_id, lambda i: "未読" not in i)
    frames += [queue.recv()]
    news = next(f for f in frames if 'id="queue-news"' in f)
    assert "data-alarm" not in "".join(frames) and "hidden" in news.split(">")[0] and "role=" not in news


class _Case:
    def __init__(self, report_id):
        self.id = report_id


def _queue(unread, ids=(1, 2)):
    return {"reports": [_Case(i) for i in ids], "unread": {i: n for i, n in unread.items() if n}}


def test_news_is_a_rising_unread_count_of_a_case_already_shown_until_it_is_read():
    news = UnreadNews()
    assert news.update(_queue({1: 2})) is False and news.items(_queue({1: 2})) == []  # where it starts
    assert news.update(_queue({1: 2, 2: 0})) is False
    assert news.update(_queue({1: 3})) is True
    assert [(r.id, n) for r, n in news.items(_queue({1: 3}))] == [(1, 3)]
    assert news.update(_queue({1: 3})) is False  # still news, no new alarm
    assert [r.id for r, _ in news.items(_queue({1: 3}))] == [1]
    assert news.update(_queue({1: 3, 2: 1})) is True
    assert [r.id for r, _ in news.items(_queue({1: 3, 2: 1}))] == [1, 2]
    assert news.update(_queue({1: 0, 2: 1})) is False  # case 1 was read
    assert [r.id for r, _ in news.items(_queue({2: 1}))] == [2]
    assert news.update(_queue({3: 4}, ids=(3, 2))) is False  # a case that arrives has the queue's own alarm
    assert [r.id for r, _ in news.items(_queue({3: 4}, ids=(3, 2)))] == []


def test_a_burst_of_messages_ends_with_the_queue_counting_them_all(watched_case):
    """The queue is rendered at most every QUEUE_MIN_INTERVAL_S in a burst; the last render has everything."""
    resident, console, case_number, report_id, queue, chat = watched_case
    for n in range(12):
        chat.send(json.dumps({"type": "message", "client_id": f"queue-burst-{n:03d}", "body": f"{n}回目"}))
    frames = queue_frames_until(queue, report_id, lambda i: "未読 12件" in i)
    assert len([f for f in frames if 'id="queue"' in f]) < 12
