"""A report kept on the phone (static/js/offline.js): received only when its chat opens, never sent by
itself once it is old, waiting for a login when the session has ended; and the start page's saved copy
when the server fails (static/js/sw.js)."""
import re
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, log_in_resident, tap_to_send
from .test_accessibility import assert_big_enough
from .test_pwa import KEPT, UNSENT, queue_a_report_offline, reports_with, resident_phone, second_resident

pytestmark = pytest.mark.e2e

CHAT = re.compile(r"/reports/\d{6}-\d{4}$")
OLD = "古い通報が、まだ送られていません。"
WAITS_FOR_LOGIN = "ログインすると送ります。"
JST = timezone(timedelta(hours=9))
SET_KEPT_TIME = """at => {
    const key = Object.keys(localStorage).find(k => k.startsWith('net119-unsent-report:'));
    const item = JSON.parse(localStorage.getItem(key));
    item.at = at;
    localStorage.setItem(key, JSON.stringify(item));
}"""
# The kept report was for where the phone was then (in Sapporo, far from here).
SET_KEPT_PLACE_THEN = """() => {
    const key = Object.keys(localStorage).find(k => k.startsWith('net119-unsent-report:'));
    const item = JSON.parse(localStorage.getItem(key));
    item.fields = item.fields.filter(f => !['place', 'lat', 'lon', 'accuracy'].includes(f[0]))
        .concat([['place', 'current'], ['lat', '43.0687'], ['lon', '141.3508'], ['accuracy', '12']]);
    localStorage.setItem(key, JSON.stringify(item));
}"""


def report_posts(context):
    """The client ids of every report posted from ``context``, in order."""
    ids = []

    def note(request):
        if request.method == "POST" and request.url.endswith("/reports"):
            ids.append(re.search(r"client_id=([\w-]+)", request.post_data).group(1))
    context.on("request", note)
    return ids


# ---- Received means: its chat opened ---------------------------------------------------

def test_a_report_refused_for_a_changed_session_is_sent_with_a_fresh_token(served, new_context):
    live_server = served()  # its own database: the reports it opens must not reach other tests
    account = live_server.account("residents")
    context = new_context()
    posted = report_posts(context)
    phone = context.new_page()
    log_in_resident(phone, live_server.base_url, account)
    phone.get_by_role("button", name=re.compile("^火事")).click()
    expect(phone.get_by_role("button", name=re.compile("^自宅"))).to_be_visible()

    # Logged in again in another tab: a new session, whose token this page does not carry.
    log_in_resident(context.new_page(), live_server.base_url, account)
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))

    expect(phone).to_have_url(CHAT, timeout=20_000)
    assert len(set(posted)) == 1 and len(posted) >= 2  # the refused post, then one with a fresh token
    assert reports_with(live_server, posted[0]) == 1
    assert phone.evaluate(KEPT) is None
    expect(phone.get_by_text("画面の有効期限が切れました")).to_have_count(0)


def test_a_page_that_is_not_the_chat_keeps_the_report(served, new_context):
    live_server = served()  # its own database: the reports it opens must not reach other tests
    context = new_context()
    posted = report_posts(context)
    phone = context.new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))

    # Wi-Fi that answers everything with its own sign-in page until it is accepted.
    portal = {"on": True}

    def captive(route):
        if portal["on"]:
            route.fulfill(status=200, content_type="text/html",
                          body="<html><body><h1>Free Wi-Fi</h1><p>Accept the terms</p></body></html>")
        else:
            route.continue_()
    context.route(re.compile(r"/reports$|/$"), captive)

    phone.get_by_role("button", name=re.compile("^救急")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))
    expect(phone.get_by_role("alert").filter(has_text=UNSENT)).to_be_visible()
    expect(phone.get_by_text("Free Wi-Fi")).to_have_count(0)
    kept = phone.evaluate(KEPT)
    assert kept is not None

    portal["on"] = False
    expect(phone).to_have_url(CHAT, timeout=20_000)
    assert set(posted) == {kept["id"]}
    assert reports_with(live_server, kept["id"]) == 1


# ---- An old report is not sent by itself ------------------------------------------------

def saved_at(days_ago, hour, minute):
    """A time ``days_ago`` days back at ``hour``:``minute`` in Japan, and the same in ms since 1970."""
    day = datetime.now(JST) - timedelta(days=days_ago)
    when = day.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return when, int(when.timestamp() * 1000)


def open_with_an_old_report(served, new_context):
    """A phone holding a report kept three days ago, opened again online: (server, context, page, kept, when)."""
    live_server = served()  # its own database: the reports it opens must not reach other tests
    context, phone = resident_phone(live_server, new_context, timezone_id="Asia/Tokyo")
    kept = queue_a_report_offline(context, phone, live_server.base_url)
    when, at = saved_at(3, 14, 5)
    phone.evaluate(SET_KEPT_TIME, at)
    phone.evaluate(SET_KEPT_PLACE_THEN)
    phone.close()

    context.set_offline(False)
    again = context.new_page()
    again.goto(live_server.base_url + "/")
    expect(again.get_by_role("button", name=re.compile("^火事"))).to_be_visible()
    return live_server, context, again, kept, when


def test_an_old_report_waits_for_the_resident_to_send_it(served, new_context):
    live_server, context, phone, kept, when = open_with_an_old_report(served, new_context)
    posted = report_posts(context)

    notice = phone.get_by_role("alert").filter(has_text=OLD)
    expect(notice).to_be_visible()
    expect(notice.get_by_text("An old report has not been sent.")).to_be_visible()
    weekday = "月火水木金土日"[when.weekday()]
    expect(notice.get_by_text(f"{when.month}月{when.day}日({weekday}) 14:05")).to_be_visible()
    expect(notice.get_by_text(re.compile(rf"\b{when.day} {when:%b}.* 14:05"))).to_be_visible()
    assert_accessible(phone)
    assert_big_enough(phone)

    phone.wait_for_timeout(6000)  # longer than a retry interval
    assert posted == [] and reports_with(live_server, kept["id"]) == 0
    expect(phone).not_to_have_url(CHAT)

    phone.get_by_role("button", name=re.compile("^今すぐ送る")).click()
    expect(phone).to_have_url(CHAT, timeout=20_000)
    assert reports_with(live_server, kept["id"]) == 1
    assert phone.evaluate(KEPT) is None
    # Sent as this emergency: not with the position of days ago (this page had none of its own).
    with sqlite3.connect(f"file:{live_server.database}?mode=ro", uri=True) as database:
        place = database.execute("SELECT place_kind, lat, lon FROM report WHERE client_id = ?", (kept["id"],)).fetchone()
    assert place == ("current", None, None)


def test_an_old_report_can_be_discarded(served, new_context):
    live_server, context, phone, kept, _ = open_with_an_old_report(served, new_context)

    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("alert").filter(has_text=OLD).get_by_role("button", name=re.compile("^取り消す")).click()
    expect(phone.get_by_role("alert").filter(has_text=OLD)).to_have_count(0)
    assert phone.evaluate(KEPT) is None
    phone.reload()
    expect(phone.get_by_role("button", name=re.compile("^火事"))).to_be_visible()
    phone.wait_for_timeout(1000)
    expect(phone.get_by_role("alert").filter(has_text=OLD)).to_have_count(0)
    assert reports_with(live_server, kept["id"]) == 0


def test_a_new_report_while_an_old_one_waits_is_a_report_of_its_own(served, new_context):
    live_server, context, phone, kept, _ = open_with_an_old_report(served, new_context)
    posted = report_posts(context)

    phone.get_by_role("button", name=re.compile("^火事")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))
    expect(phone).to_have_url(CHAT, timeout=20_000)
    assert posted and kept["id"] not in posted
    assert reports_with(live_server, kept["id"]) == 0 and reports_with(live_server, posted[0]) == 1


def test_a_report_kept_less_than_half_an_hour_is_still_sent_by_itself(served, new_context):
    live_server = served()  # its own database: the reports it opens must not reach other tests
    context, phone = resident_phone(live_server, new_context)
    kept = queue_a_report_offline(context, phone, live_server.base_url)
    phone.evaluate(f"() => ({SET_KEPT_TIME})(Date.now() - 29 * 60 * 1000)")
    phone.close()

    context.set_offline(False)
    again = context.new_page()
    again.goto(live_server.base_url + "/")
    expect(again).to_have_url(CHAT, timeout=20_000)
    assert reports_with(live_server, kept["id"]) == 1


def test_a_report_that_grows_old_on_an_open_page_is_no_longer_sent_by_itself(served, new_context):
    live_server = served()  # its own database: the reports it opens must not reach other tests
    context, phone = resident_phone(live_server, new_context)
    kept = queue_a_report_offline(context, phone, live_server.base_url)
    posted = report_posts(context)
    # Kept half an hour ago but for two seconds; the page goes on trying, offline.
    phone.evaluate(f"() => ({SET_KEPT_TIME})(Date.now() - 30 * 60 * 1000 + 2000)")
    expect(phone.get_by_role("alert").filter(has_text=OLD)).to_be_visible(timeout=15_000)
    expect(phone.get_by_role("alert").filter(has_text="通信できません。")).to_be_visible()

    context.set_offline(False)
    phone.wait_for_timeout(6000)  # longer than a retry interval
    assert posted == [] and reports_with(live_server, kept["id"]) == 0
    expect(phone.get_by_role("alert").filter(has_text=OLD)).to_be_visible()


# ---- Logged out meanwhile: sent once the resident logs in -----------------------------------

def test_a_report_kept_while_the_session_ended_is_sent_after_login(served, new_context):
    live_server = served()  # its own database: the reports it opens must not reach other tests
    account = live_server.account("residents")
    context, phone = resident_phone(live_server, new_context)
    kept = queue_a_report_offline(context, phone, live_server.base_url)

    context.clear_cookies()  # logged out (here, or on another device) while it waited
    context.set_offline(False)
    notice = phone.get_by_role("alert").filter(has_text=WAITS_FOR_LOGIN)
    expect(notice).to_be_visible(timeout=15_000)
    expect(notice.get_by_text("It will be sent once you log in.")).to_be_visible()
    expect(phone.get_by_text("通信できません")).to_have_count(0)
    expect(notice.get_by_text("FAXで119番に送る")).to_be_visible()
    assert_accessible(phone)
    assert reports_with(live_server, kept["id"]) == 0

    notice.get_by_role("link", name=re.compile("^ログインする")).click()
    expect(phone.get_by_role("heading", level=1, name=re.compile("^ログイン"))).to_be_visible()
    # Still said on the login page itself, which needs no link to itself.
    notice = phone.get_by_role("alert").filter(has_text=WAITS_FOR_LOGIN)
    expect(notice).to_be_visible()
    expect(notice.get_by_role("link", name=re.compile("^ログインする"))).to_have_count(0)
    assert_accessible(phone)

    phone.get_by_label(re.compile("ID")).fill(account["login"])
    phone.get_by_label("パスワード").fill(account["password"])
    phone.get_by_role("button", name="ログイン").click()
    expect(phone).to_have_url(CHAT, timeout=20_000)
    assert reports_with(live_server, kept["id"]) == 1
    assert phone.evaluate(KEPT) is None


def test_a_report_waiting_for_its_resident_is_not_sent_with_another_session(served, new_context):
    live_server = served()  # its own database: the reports it opens must not reach other tests
    owner, other = live_server.account("residents"), second_resident(live_server)
    context, phone = resident_phone(live_server, new_context, owner)
    kept = queue_a_report_offline(context, phone, live_server.base_url)
    context.clear_cookies()
    context.set_offline(False)
    expect(phone.get_by_role("alert").filter(has_text=WAITS_FOR_LOGIN)).to_be_visible(timeout=15_000)

    # Someone else logs in on this phone in another tab; then the page tries again.
    log_in_resident(context.new_page(), live_server.base_url, other)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    phone.wait_for_timeout(6000)  # longer than a retry interval
    expect(phone.get_by_role("alert").filter(has_text=WAITS_FOR_LOGIN)).to_be_visible()
    assert reports_with(live_server, kept["id"]) == 0


# ---- The start page when the server fails ------------------------------------------------

def test_the_start_page_uses_its_saved_copy_when_the_server_fails(served, new_context):
    live_server = served()
    context, phone = resident_phone(live_server, new_context)
    phone.goto(live_server.base_url + "/")
    expect(phone.get_by_role("button", name=re.compile("^火事"))).to_be_visible()

    # A proxy in front of the server answers 502 for the second-tap page (the worker's request).
    failed = []

    def bad_gateway(route):
        failed.append(route.request.url)
        route.fulfill(status=502, content_type="text/html", body="<html><body><h1>502 Bad Gateway</h1></body></html>")
    context.route(re.compile(r"/\?kind=fire$"), bad_gateway)

    phone.get_by_role("button", name=re.compile("^火事")).click()
    expect(phone.get_by_role("button", name=re.compile("^自宅"))).to_be_visible()
    expect(phone.get_by_text("502 Bad Gateway")).to_have_count(0)
    assert failed, "the server was not asked"

    phone.goto(live_server.base_url + "/?kind=fire")
    expect(phone.get_by_role("button", name=re.compile("^自宅"))).to_be_visible()
