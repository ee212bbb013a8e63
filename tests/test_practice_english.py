"""Practice for a resident who chose English: the practice dispatcher's words, its questions and
their answer buttons, the status and the review, on every page, fragment and socket frame.

Japanese is marked lang="ja" on an English page (tests/test_english_pages.py), but marking is not
translating: the practice dispatcher speaks to this resident in English, and only data (the
resident's own address) is left in Japanese.
"""
import re
from html import unescape

import pytest

from app.practice import coach, store
from app.practice.ws import PracticeFeed

from .conftest import form_fields, login_as
from .test_english_pages import JAPANESE, assert_english


@pytest.fixture
def resident(app):
    """A device that chose English, logged in as the demo resident."""
    client = app.test_client()
    client.set_cookie("net119_lang", "en")
    login_as(client, app.accounts["residents"][0])
    return client


def buttons(page):
    """The answer buttons of the practice chat: ``[(value sent, label shown)]``."""
    region = page.text.split('id="practice-choices"')[1].split("</div>")[0]
    return [(unescape(value), unescape(label))
            for value, label in re.findall(r'name="body" value="([^"]*)"[^>]*>([^<]*)</button>', region)]


def coach_says(page):
    """What the practice dispatcher has said on the page, one message a line."""
    return [unescape(re.sub(r"<[^>]+>", "", body)) for body in
            re.findall(r'class="event event--message event--theirs".*?<p class="event__body">(.*?)</p>',
                       page.text, re.S)]


def open_practice(client, kind, place="home"):
    page = client.get(f"/practice?kind={kind}")
    answer = client.post("/practice/reports", data={**form_fields(page), "kind": kind, "place": place})
    assert answer.status_code == 303
    return answer.headers["Location"]


def send(client, chat_url, body):
    page = client.get(chat_url)
    answer = client.post(f"{chat_url}/messages", data={**form_fields(page), "body": body})
    assert answer.status_code == 303, answer.text
    return client.get(chat_url)


def assert_all_english(page):
    """No unmarked Japanese, and nothing the practice dispatcher said or offered in Japanese."""
    assert_english(page)
    said = coach_says(page)
    assert said and not [line for line in said if JAPANESE.search(line)], said
    assert not [label for _, label in buttons(page) if JAPANESE.search(label)], buttons(page)


@pytest.mark.parametrize("path", ["/practice", "/practice?kind=fire", "/practice?kind=unknown", "/practice?place=home"])
def test_the_practice_start_pages_are_english(resident, path):
    assert_english(resident.get(path))


def test_a_whole_ambulance_practice_reads_in_english(resident):
    chat_url = open_practice(resident, "ambulance")
    chat = resident.get(chat_url)
    assert_all_english(chat)
    assert "This is practice" in coach_says(chat)[0]
    assert coach_says(chat)[-1] == "Is it an illness or an injury?"
    assert [label for _, label in buttons(chat)] == ["Sudden illness", "Injury", "Traffic accident",
                                                     "Something else", "Yes", "No", "I don't know"]
    assert "Received" in chat.text

    # A tapped answer is sent as the words on the button, and is the resident's own message.
    chat = send(resident, chat_url, "Sudden illness")
    assert coach_says(chat)[-1] == "Who is it?"
    assert "Units dispatched" in chat.text
    # A typed answer in English is understood as the button would be.
    chat = send(resident, chat_url, "a family member")
    assert coach_says(chat)[-1] == "Are they conscious?"
    # Yes/No questions offer Yes and No once, not the tree's and the always-offered twice.
    assert [label for _, label in buttons(chat)] == ["Yes", "No", "I don't know"]
    chat = send(resident, chat_url, "Yes")
    # Typed words are reacted to in English too.
    chat = send(resident, chat_url, "We are near the station, 2nd floor")
    assert coach_says(chat)[-1] == "Are they breathing?" and "place" in coach_says(chat)[-2]
    chat = send(resident, chat_url, "No")
    chat = send(resident, chat_url, "I don't know")
    assert "Arriving soon" in chat.text
    assert [label for _, label in buttons(chat)] == ["Nothing more to say"]
    assert_all_english(chat)
    chat = send(resident, chat_url, buttons(chat)[0][0])

    review = coach_says(chat)[-1]
    assert review.startswith("That is the end of the practice.")
    assert "What went well:" in review and "Questions you answered: 5." in review
    assert "Arrived" in chat.text and "This practice has ended." in chat.text
    assert_english(chat)
    assert not JAPANESE.search(review)
    log = resident.get(f"{chat_url}/log")
    assert_english(log)
    assert "What went well:" in log.text


@pytest.mark.parametrize("kind, first, answers", [
    ("fire", "What is burning?", ["A house", "No", "Yes"]),
    ("other", "Is anyone injured or unwell?", ["No", "Yes"]),
    ("unknown", "Is it a fire or a medical emergency?", ["Fire", "A car", "I don't know", "No"]),
])
def test_every_tree_and_its_review_are_english(resident, kind, first, answers):
    chat_url = open_practice(resident, kind, place="current")
    chat = resident.get(chat_url)
    assert coach_says(chat)[-1] == first
    for answer in answers:
        assert answer in [value for value, _ in buttons(chat)], (answer, buttons(chat))
        chat = send(resident, chat_url, answer)
        assert_all_english(chat)
    chat = send(resident, chat_url, "Nothing more to say")
    review = coach_says(chat)[-1]
    assert "Next time, also:" in review and not JAPANESE.search(review)
    assert_english(chat)


def test_the_practice_socket_frames_are_english(app, resident):
    chat_url = open_practice(resident, "fire")
    send(resident, chat_url, "A car")
    with store.practice_db.connection_context():
        practice = store.PracticeSession.get(store.PracticeSession.case_number == chat_url.rsplit("/", 1)[1])
    with app.test_request_context(f"{chat_url}/ws", headers={"Cookie": "net119_lang=en"}):
        feed = PracticeFeed(practice.id)
        frames = "".join(feed.on_frame('{"type": "resume", "after": 0}'))
        assert "What is burning?" in frames and "Is anyone trapped or injured?" in frames
        answered = "".join(feed.on_frame('{"type": "message", "client_id": "socket-msg-0001", "body": "Yes"}'))
    assert_english(frames)
    assert_english(answered)
    assert "Are you in a safe place?" in answered
    assert 'hx-swap-oob="true"' in answered and ">Yes</button>" in answered


def test_a_refused_practice_message_is_english(resident):
    chat_url = open_practice(resident, "fire")
    page = resident.get(chat_url)
    refused = resident.post(f"{chat_url}/messages", data={**form_fields(page), "body": "  "})
    assert refused.status_code == 400
    assert_english(refused)


def test_the_japanese_practice_is_unchanged(app, client):
    """Japanese stays the default: the same words, stored and shown, as before English came."""
    login_as(client, app.accounts["residents"][0])
    chat_url = open_practice(client, "fire")
    chat = client.get(chat_url)
    assert coach_says(chat) == ["練習用の自動指令員です。これは練習です。本当の消防には届きません。本番と同じように答えてみましょう。",
                                "何が燃えていますか？"]
    assert buttons(chat) == [(c, c) for c in ["家", "車", "草・ゴミ", "その他", "はい", "いいえ", "わからない"]]
    for answer in ["車", "いる", "はい"]:
        chat = send(client, chat_url, answer)
    assert buttons(chat) == [("伝えることはない", "伝えることはない")]
    chat = send(client, chat_url, "伝えることはない")
    assert coach_says(chat)[-1].startswith("練習はここまでです。おつかれさまでした。\nよくできたこと：")
    with store.practice_db.connection_context():
        practice = store.PracticeSession.get(store.PracticeSession.case_number == chat_url.rsplit("/", 1)[1])
        assert coach.review(practice) == coach_says(chat)[-1]


def test_the_pages_around_an_open_practice_are_english(resident):
    chat_url = open_practice(resident, "fire", place="current")
    again = resident.get("/practice")
    assert "back to the chat" in again.text and chat_url in again.text
    assert_english(again)
    assert_english(resident.get("/"))
    assert_english(resident.get("/proxy?practice=1&kind=fire"))
    assert_english(resident.get(chat_url, headers={"HX-Request": "true"}))
