"""Transfers in a real browser: what the old HQ could not send reaches the new HQ's open case by itself,
with JavaScript and without."""
import re

import pytest
from playwright.sync_api import expect

from ..http_session import HttpSession
from .conftest import IN_CHITOSE, assert_accessible, assert_accessible_without_js, log_in
from .test_chat_taps import report
from .test_console_noscript import REFRESHED_MS, chat_frame

pytestmark = pytest.mark.e2e


def handed_to_eniwa(live_server, new_context, **options):
    """A Chitose case handed to Eniwa, open on an Eniwa console; Chitose's stale form and the case's path."""
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, live_server, "火事", "自宅")
    chitose = HttpSession(live_server.base_url).login(live_server.account("dispatchers"), path="/dispatch/login")
    case_url = f"/dispatch/cases/{chitose.report_id(case_number)}"
    stale = chitose.form(case_url)  # read before a colleague handed the case over
    status, _, _ = chitose.request(f"{case_url}/transfer", {"csrf_token": stale["csrf_token"], "hq": "eniwa"})
    assert status == 303
    console = new_context(**options).new_page()
    log_in(console, live_server.base_url, live_server.account("dispatchers", hq="eniwa"), path="/dispatch/login")
    expect(console.get_by_role("heading", name=re.compile("受信中の通報"))).to_be_visible()
    console.goto(live_server.base_url + case_url)
    expect(console.get_by_role("heading", name=re.compile(case_number))).to_be_visible()
    return console, chitose, stale, case_url


def test_the_old_hqs_unsent_words_appear_on_the_new_hqs_open_case(live_server, new_context):
    console, chitose, stale, case_url = handed_to_eniwa(live_server, new_context)
    expect(console.locator(".chat[data-live='']")).to_have_count(1)  # its socket is open
    status, _, _ = chitose.request(f"{case_url}/messages", {**stale, "body": "2階の寝室に取り残されています"})
    assert status == 409
    unsent = console.get_by_role("region", name="引き継ぎ元が送れなかったメッセージ")
    expect(unsent).to_contain_text("2階の寝室に取り残されています")
    expect(unsent).to_contain_text("千歳市消防本部")
    assert_accessible(console)
    chitose.request(f"{case_url}/messages", {**stale, "client_id": "second-unsent-0001", "body": "煙を吸っているようです"})
    expect(unsent.get_by_role("listitem")).to_have_count(2)


def test_without_javascript_the_chat_frame_shows_them(live_server, new_context):
    console, chitose, stale, case_url = handed_to_eniwa(live_server, new_context, java_script_enabled=False)
    expect(chat_frame(console).get_by_text(re.compile("引き継ぎました"))).to_be_visible()
    status, _, _ = chitose.request(f"{case_url}/messages", {**stale, "body": "ベランダに出ています"})
    assert status == 409
    unsent = chat_frame(console).get_by_role("region", name="引き継ぎ元が送れなかったメッセージ")
    expect(unsent).to_contain_text("ベランダに出ています", timeout=REFRESHED_MS)
    console.reload()
    assert_accessible_without_js(console, new_context)
    # Once on the page: the frame's list, not also the page's own as it was loaded.
    expect(console.get_by_text("ベランダに出ています")).to_be_hidden()


def test_the_hqs_outside_net119_are_listed_with_their_numbers_beside_the_transfer_form(live_server, new_context):
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, live_server, "救急", "自宅")
    console = new_context().new_page()
    log_in(console, live_server.base_url, live_server.account("dispatchers"), path="/dispatch/login")
    console.locator("#queue").get_by_role("link", name=re.compile(case_number)).click()
    listed = console.get_by_role("region", name=re.compile("NET119を使っていない消防本部"))
    listed.get_by_text(re.compile("本部の一覧")).click()  # a <details>: the whole list, one click away
    row = listed.get_by_role("row", name=re.compile("胆振東部消防組合消防本部"))
    expect(row).to_contain_text("000-0000-0801")
    expect(row).to_contain_text("000-0000-0802")
    expect(row).to_contain_text("安平町")
    assert_accessible(console)
