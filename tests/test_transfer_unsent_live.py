"""The words the old HQ could not send after a transfer reach the new HQ's open console as they are kept (SPEC §8).

They may be the one thing the new HQ must know ("the resident said the fire is on the 2nd floor"):
its dispatcher, already on the case, must not have to reload to see them.
"""
import json
import re

import pytest

from app.extensions import db
from app.models import Headquarters, Report, Staff
from app.realtime import hub
from app.reporting import CaseChanged, post_message, transfer_report

from .conftest import dispatcher_account, form_fields, login_as, start_report
from .http_session import HttpSession
from .test_sockets import open_socket, receive_until  # noqa: F401  (fixture)


def test_the_new_hqs_open_case_shows_the_old_hqs_unsent_words_as_they_are_kept(live_server, open_socket):  # noqa: F811
    chitose, eniwa, case_url, stale = handed_to_eniwa_live(live_server)
    console = open_socket(eniwa, f"{case_url}/ws")
    console.send(json.dumps({"type": "resume", "after": 0}))
    receive_until(console, "引き継ぎました")

    status, _, _ = chitose.request(f"{case_url}/messages", {**stale, "body": "本人は2階にいると言っています"})
    assert status == 409  # refused, and kept as unsent
    frame = receive_until(console, "本人は2階にいると言っています")[-1]
    assert 'id="unsent"' in frame and "hx-swap-oob" in frame and "引き継ぎ元が送れなかったメッセージ" in frame


def test_words_kept_before_the_case_views_socket_opened_come_with_its_resume(live_server, open_socket):  # noqa: F811
    """Kept between the page's render and its socket's opening (or while it reconnects): not missed."""
    chitose, eniwa, case_url, stale = handed_to_eniwa_live(live_server)
    status, _, page = eniwa.request(case_url)
    assert status == 200
    socket_url = re.search(r'ws-connect="[^"]*?(/dispatch/cases/[^"]+)"', page).group(1).replace("&amp;", "&")
    assert chitose.request(f"{case_url}/messages", {**stale, "body": "隣の家にも燃え移りそうです"})[0] == 409
    console = open_socket(eniwa, socket_url)
    console.send(json.dumps({"type": "resume", "after": 0}))
    assert 'id="unsent"' in receive_until(console, "隣の家にも燃え移りそうです")[-1]
    console.send(json.dumps({"type": "resume", "after": 0}))  # once shown, a resume does not repeat it
    assert "隣の家" not in "".join(receive_until(console, "read-marker"))


@pytest.mark.both_databases
def test_a_message_refused_in_the_storing_transaction_is_told_to_the_new_hqs_case_views(app):
    """The transfer commits between the console's read and its message's write (reporting._refusals)."""
    from app.reporting import unsent_channel

    resident = app.test_client()
    login_as(resident, app.accounts["residents"][0])
    start_report(resident)
    with db.connection_context():
        chitose = Staff.get(Staff.login == dispatcher_account(app)["login"])
        as_read = Report.get()
        told = []
        subscription = hub.subscribe([unsent_channel(as_read.id)], told.append)
        try:
            transfer_report(Report.get_by_id(as_read.id), Headquarters.get(Headquarters.code == "eniwa"), chitose)
            with pytest.raises(CaseChanged):
                post_message(as_read, actor="staff", staff=chitose, body="ガスの元栓が開いています",
                             client_id="told-unsent-0001")
        finally:
            subscription.close()
        # (A PostgreSQL listener also wakes every channel once, with no news, as it starts.)
        assert [notice.report_id for notice in told if notice.report_id is not None] == [as_read.id]


def handed_to_eniwa_live(live_server):
    """As handed_to_eniwa, over HTTP to the live server (for its sockets)."""
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    chitose = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    eniwa = HttpSession(live_server.base_url).login(live_server.account("dispatchers", hq="eniwa"),
                                                    path="/dispatch/login")
    case_url = f"/dispatch/cases/{chitose.report_id(resident.start_report())}"
    stale = chitose.form(case_url)  # Chitose's page, read before its colleague hands the case over
    status, _, _ = chitose.request(f"{case_url}/transfer", {"csrf_token": stale["csrf_token"], "hq": "eniwa"})
    assert status == 303
    return chitose, eniwa, case_url, stale


def handed_to_eniwa(app):
    """Chitose's and Eniwa's consoles, a case Chitose handed to Eniwa, and Chitose's page read before it."""
    resident, chitose, eniwa = app.test_client(), app.test_client(), app.test_client()
    login_as(resident, app.accounts["residents"][0])
    start_report(resident)
    login_as(chitose, dispatcher_account(app), path="/dispatch/login")
    login_as(eniwa, dispatcher_account(app, "eniwa"), path="/dispatch/login")
    with db.connection_context():
        case_url = f"/dispatch/cases/{Report.get().id}"
    stale = form_fields(chitose.get(case_url))
    chitose.post(f"{case_url}/transfer", data={"csrf_token": stale["csrf_token"], "hq": "eniwa"})
    return chitose, eniwa, case_url, stale


@pytest.mark.both_databases
def test_the_new_hqs_chat_frame_without_javascript_shows_the_old_hqs_unsent_words(app):
    chitose, eniwa, case_url, stale = handed_to_eniwa(app)
    frame = eniwa.get(f"{case_url}/log").text  # the frame the no-JavaScript console reloads
    assert "送れなかった" not in frame
    assert chitose.post(f"{case_url}/messages", data={**stale, "body": "2階の奥の部屋です"}).status_code == 409
    frame = eniwa.get(f"{case_url}/log").text
    unsent = frame.split('id="unsent"')[1]
    assert "引き継ぎ元が送れなかったメッセージ" in unsent and "2階の奥の部屋です" in unsent
    # Not twice on the page without JavaScript: the page's own list (as loaded) is for scripted consoles.
    page = eniwa.get(case_url).text
    assert re.search(r'<[^>]+id="unsent"[^>]*class="[^"]*js-only', page) and "2階の奥の部屋です" in page
    assert "2階の奥の部屋です" not in chitose.get(f"{case_url}/log").text  # the old HQ's frame ends at the transfer


def queue_row(page, case_url):
    return page.split(f'href="{case_url}"')[1].split("</li>")[0]


@pytest.mark.both_databases
def test_the_new_hqs_queue_says_a_case_has_words_the_old_hq_could_not_send(app):
    """A dispatcher of the new HQ who opened the case before the words came, and is back on the queue."""
    chitose, eniwa, case_url, stale = handed_to_eniwa(app)
    eniwa.get(case_url)
    assert "送れなかった" not in queue_row(eniwa.get("/dispatch/").text, case_url)
    for again in range(2):  # a retry refused again is the same message
        chitose.post(f"{case_url}/messages", data={**stale, "body": "2階の奥の部屋です"})
    for queue in ("/dispatch/", "/dispatch/queue"):  # the page, and the frame the no-JS console reloads
        assert "引き継ぎ元の送れなかったメッセージ 1件" in queue_row(eniwa.get(queue).text, case_url)


def test_the_new_hqs_queue_socket_is_told_at_once(live_server, open_socket):  # noqa: F811
    chitose, eniwa, case_url, stale = handed_to_eniwa_live(live_server)
    queue = open_socket(eniwa, "/dispatch/ws")
    queue.send(json.dumps({"type": "resume", "after": 0}))
    receive_until(queue, 'id="queue"')
    assert chitose.request(f"{case_url}/messages", {**stale, "body": "ガスのにおいがします"})[0] == 409
    row = queue_row(receive_until(queue, "引き継ぎ元の送れなかったメッセージ")[-1], case_url)
    assert "引き継ぎ元の送れなかったメッセージ 1件" in row
