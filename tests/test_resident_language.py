"""The console says when the resident reads the service in English.

A resident who chose English (a visitor, or someone who reads Japanese as a second language)
gets the service's own words in English, but the dispatcher's replies are typed: written in
ordinary Japanese, they may not be read at all. The dispatcher is told, beside the reply box,
and in the queue before taking the case; and told again when the resident switches language
while the report is open (app/report/language.py).
"""
import json
import logging
import re

import pytest

from app.extensions import db
from app.i18n import COOKIE
from app.models import Report, ReportEvent

from .conftest import dispatcher_account, form_fields, login_as, start_report
from .http_session import HttpSession
from .test_sockets import open_socket, receive_until  # noqa: F401  (fixture)

NOTE = "通報者の画面は英語です"


@pytest.mark.parametrize("language, told", [("en", True), ("ja", False), (None, False), ("fr", False)])
def test_the_console_tells_the_dispatcher_the_language_the_resident_reported_in(app, language, told):
    resident, console = app.test_client(), app.test_client()
    if language:
        resident.set_cookie(COOKIE, language)
    login_as(resident, app.accounts["residents"][0])
    assert start_report(resident).status_code == 303
    with db.connection_context():
        report_id = Report.get().id
    login_as(console, dispatcher_account(app), path="/dispatch/login")
    page = console.get(f"/dispatch/cases/{report_id}").get_data(as_text=True)
    assert (NOTE in page) is told
    # The case's record keeps it too, with the rest of what the report was opened with.
    record = console.get(f"/dispatch/cases/{report_id}/record.json").get_json()
    opened = next(line for line in record["timeline"] if line["seq"] == 1)
    assert opened["data"]["language"] == ("en" if told else "ja")


# ---- The queue: who reads English, before the case is taken ----------------------------

MARK = '<span class="queue__language"><span class="visually-hidden">通報者の画面：</span>英語</span>'


def queue_row(page, report_id):
    return page.split(f'href="/dispatch/cases/{report_id}"')[1].split("</li>")[0]


def reported_in(app, language):
    """A resident's client whose pages are in ``language``, a report just made, its chat's URL and id."""
    client = app.test_client()
    client.set_cookie(COOKIE, language)
    login_as(client, app.accounts["residents"][0])
    response = start_report(client)
    assert response.status_code == 303
    with db.connection_context():
        return client, response.headers["Location"], Report.select().order_by(Report.id.desc()).get().id


def test_the_queue_marks_a_resident_whose_pages_are_english(app):
    """A dispatcher choosing which case to take sees, in words, that this resident reads English:
    on the console, in the queue beside a case, and in the frame of a console without JavaScript."""
    _, _, english = reported_in(app, "en")
    _, _, japanese = reported_in(app, "ja")
    console = app.test_client()
    login_as(console, dispatcher_account(app), path="/dispatch/login")
    for url in ("/dispatch/", "/dispatch/queue", f"/dispatch/cases/{english}"):
        page = console.get(url).get_data(as_text=True)
        assert MARK in queue_row(page, english), url
        assert MARK not in queue_row(page, japanese) and "英語" not in queue_row(page, japanese), url


@pytest.mark.both_databases
def test_the_queue_reads_every_residents_language_in_one_query(app, caplog):
    """The queue is drawn again on every change to any of its cases, for every console: the
    languages of its rows are read together, not one query per row."""
    from app.dispatch.queue import queue_of
    from app.models import Headquarters

    def queries_for_queue():
        with db.connection_context():
            hq = Headquarters.get(Headquarters.code == "chitose")
            caplog.clear()
            with caplog.at_level(logging.DEBUG, logger="peewee"):
                queue = queue_of(hq)
            return queue, len([r for r in caplog.records if r.name == "peewee"])

    reported_in(app, "en")
    _, one = queries_for_queue()
    ids = [reported_in(app, language)[2] for language in ("en", "ja", "en")]
    queue, four = queries_for_queue()
    assert len(queue["reports"]) == 4 and four == one
    assert [queue["languages"][report_id] for report_id in ids] == ["en", "ja", "en"]


# ---- A switch of language while the report is open --------------------------------------

def language_events(report_id):
    with db.connection_context():
        return [(e.actor, e.data["language"], e.body)
                for e in Report.get_by_id(report_id).events.order_by(ReportEvent.seq) if e.kind == "language"]


def switch(client, language, back_to):
    """The language switch of every resident page (core.choose_language), then back to the page."""
    response = client.get(f"/language/{language}?next={back_to}")
    assert response.status_code == 302 and response.headers["Location"] == back_to
    return client.get(back_to)


@pytest.mark.both_databases
def test_the_case_follows_the_residents_switch_of_language(app):
    """A resident who reported in Japanese and switches to English mid-report (a visitor handed the
    phone, or someone who reads Japanese as a second language) is then written to in English: the
    switch is a ledger event, the case page and the queue say so, and the record keeps it."""
    resident, chat_url, report_id = reported_in(app, "ja")
    console = app.test_client()
    login_as(console, dispatcher_account(app), path="/dispatch/login")
    assert NOTE not in console.get(f"/dispatch/cases/{report_id}").get_data(as_text=True)

    page = switch(resident, "en", chat_url).get_data(as_text=True)
    assert language_events(report_id) == [("resident", "en", "通報者の画面が英語に切り替わりました。")]
    # The resident is told, in the language they read now, that the HQ knows.
    assert "Your pages are now in English. The fire HQ has been told." in page
    case_page = console.get(f"/dispatch/cases/{report_id}").get_data(as_text=True)
    assert NOTE in case_page and "通報者の画面が英語に切り替わりました。" in case_page
    assert MARK in queue_row(console.get("/dispatch/").get_data(as_text=True), report_id)

    # Pages served again in the same language store nothing more (the chat, its no-JavaScript frame).
    resident.get(chat_url)
    resident.get(f"{chat_url}/log")
    assert len(language_events(report_id)) == 1

    # Back to Japanese, with the chat's frame for a phone without JavaScript this time: the note goes.
    log = switch(resident, "ja", f"{chat_url}/log").get_data(as_text=True)
    assert [language for _, language, _ in language_events(report_id)] == ["en", "ja"]
    # Told about themselves, not as "the reporter" the console reads about.
    assert "画面を日本語にしました。消防本部にも伝えました。" in log and "通報者の画面" not in log
    assert NOTE not in console.get(f"/dispatch/cases/{report_id}").get_data(as_text=True)
    assert MARK not in queue_row(console.get("/dispatch/").get_data(as_text=True), report_id)

    # The record, with who did it, for the audit (SPEC §4).
    record = console.get(f"/dispatch/cases/{report_id}/record.json").get_json()
    switches = [line for line in record["timeline"] if line["action"] == "language"]
    assert [(line["actor"], line["data"]["language"], line["label"]) for line in switches] == [
        ("resident", "en", "通報者の画面の言語"), ("resident", "ja", "通報者の画面の言語")]

    # Once the case is closed, the chat is a record: a switch after it is not the case's.
    page = console.get(f"/dispatch/cases/{report_id}")
    console.post(f"/dispatch/cases/{report_id}/status",
                 data={"csrf_token": form_fields(page)["csrf_token"], "status": "closed"})
    switch(resident, "en", chat_url)
    assert len(language_events(report_id)) == 2


def test_the_case_page_and_the_queue_follow_the_switch_live(live_server, open_socket):  # noqa: F811
    """On the console the note beside the reply box comes and goes as the resident switches,
    without a reload: the case's socket sends it after the ledger's line, and every queue its row."""
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    console = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    case_number = resident.start_report(kind="ambulance")
    report_id = console.report_id(case_number)
    _, _, page = console.request(f"/dispatch/cases/{report_id}")
    assert NOTE not in page and 'id="resident-language"' in page
    last_seq = int(re.search(r'data-last-seq="(\d+)"', page).group(1))
    case = open_socket(console, f"/dispatch/cases/{report_id}/ws?after={last_seq}")
    case.send(json.dumps({"type": "resume", "after": last_seq}))
    queue = open_socket(console, "/dispatch/ws")
    queue.send(json.dumps({"type": "resume", "after": 0}))
    receive_until(queue, 'id="queue"')

    chat = f"/reports/{case_number}"
    assert resident.request(f"/language/en?next={chat}")[0] == 302
    assert resident.request(chat)[0] == 200
    frames = receive_until(case, 'id="resident-language"')
    assert "event--language" in "".join(frames) and NOTE in frames[-1] and 'hx-swap-oob="true"' in frames[-1]
    while MARK not in queue_row(receive_until(queue, 'id="queue"')[-1], report_id):
        pass

    assert resident.request(f"/language/ja?next={chat}")[0] == 302
    assert resident.request(chat)[0] == 200
    frame = receive_until(case, 'id="resident-language"')[-1]
    assert NOTE not in frame
    while MARK in queue_row(receive_until(queue, 'id="queue"')[-1], report_id):
        pass
