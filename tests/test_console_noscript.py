"""The console's frames for a browser without JavaScript: the queue and a case's chat, reloading
themselves while there is anything more to come, for the console's own HQ only."""
import pytest

from app.extensions import db
from app.models import Report

from .conftest import console_with_a_case, dispatcher_account, form_fields, login_as


@pytest.fixture
def case(app):
    """A console logged in, and the id of a case its HQ received."""
    return console_with_a_case(app)


def test_the_console_pages_carry_the_frames_for_a_browser_without_javascript(case):
    console, report_id = case
    for url in ("/dispatch/", f"/dispatch/cases/{report_id}"):
        page = console.get(url).text
        assert '<noscript><iframe class="chat-frame" title="通報一覧（自動で更新）" src="/dispatch/queue">' in page
        assert "css/noscript.css" in page
    assert f'src="/dispatch/cases/{report_id}/log#latest"' in console.get(f"/dispatch/cases/{report_id}").text
    # htmx parses <noscript> as markup: what it fetches has no frame to load and reload unseen.
    boosted = console.get(f"/dispatch/cases/{report_id}", headers={"HX-Request": "true", "HX-Boosted": "true"}).text
    assert "<iframe" not in boosted


def test_the_queue_frame_reloads_itself_and_opens_a_case_in_the_whole_window(case):
    console, report_id = case
    frame = console.get("/dispatch/queue")
    assert frame.status_code == 200 and "no-store" in frame.headers["Cache-Control"]
    assert '<meta http-equiv="refresh" content="5">' in frame.text
    assert '<base target="_top">' in frame.text
    assert f'href="/dispatch/cases/{report_id}"' in frame.text


def test_the_chat_frame_reloads_itself_while_the_case_is_open_and_marks_it_read(app, case):
    console, report_id = case
    frame = console.get(f"/dispatch/cases/{report_id}/log", headers={"Sec-Fetch-Site": "same-origin"})
    assert frame.status_code == 200
    assert f'http-equiv="refresh" content="5; url=/dispatch/cases/{report_id}/log?t=' in frame.text
    assert "通報を受信しました" in frame.text
    with db.connection_context():
        report = Report.get_by_id(report_id)
        assert report.staff_read_seq == report.last_seq

    page = console.get(f"/dispatch/cases/{report_id}")
    console.post(f"/dispatch/cases/{report_id}/status",
                 data={"csrf_token": form_fields(page)["csrf_token"], "status": "closed"})
    frame = console.get(f"/dispatch/cases/{report_id}/log")
    assert "http-equiv" not in frame.text and "この通報は終了しました" in frame.text


def test_the_frames_need_a_staff_session_and_the_chat_its_own_hq(app, case):
    _, report_id = case
    stranger = app.test_client()
    for url in ("/dispatch/queue", f"/dispatch/cases/{report_id}/log"):
        assert "/dispatch/login" in stranger.get(url).headers["Location"]
    login_as(stranger, dispatcher_account(app, hq=next(a["hq"] for a in app.accounts["dispatchers"] if a["hq"] != "chitose")),
             path="/dispatch/login")
    assert stranger.get(f"/dispatch/cases/{report_id}/log").status_code == 404
