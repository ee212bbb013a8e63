"""The console without JavaScript (SPEC §3.6: every journey works with it off): new reports and
the resident's new messages come in by themselves, in frames that reload themselves, and what
the dispatcher is typing stays as it is."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import IN_CHITOSE, assert_accessible_without_js, assert_log_frame_accessible, log_in
from .test_chat_taps import report

pytestmark = pytest.mark.e2e

# NOSCRIPT_REFRESH_SECONDS is 5: a few reloads at most.
REFRESHED_MS = 15_000


def queue_frame(page):
    return page.frame_locator("iframe[title^='通報一覧']")


def chat_frame(page):
    return page.frame_locator("iframe[title^='チャット']")


def test_a_console_without_javascript_shows_new_reports_and_messages_without_a_reload(live_server, new_context):
    console = new_context(java_script_enabled=False).new_page()
    log_in(console, live_server.base_url, live_server.account("dispatchers"), path="/dispatch/login")
    expect(console.get_by_role("heading", name=re.compile("受信中の通報"))).to_be_visible()
    expect(queue_frame(console).get_by_role("heading", name=re.compile("通報一覧"))).to_be_visible()
    assert_accessible_without_js(console, new_context)
    assert_log_frame_accessible(new_context, console.context, live_server.base_url + "/dispatch/queue")

    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, live_server, "救急", "自宅")
    link = queue_frame(console).get_by_role("link", name=re.compile(case_number))
    expect(link).to_be_visible(timeout=REFRESHED_MS)
    expect(link).to_contain_text("未確認")

    # The case opens in the whole window, not in the frame.
    link.click()
    expect(console.get_by_role("heading", name=re.compile(case_number))).to_be_visible()
    case_url = console.url
    chat = chat_frame(console)
    expect(chat.get_by_text(re.compile("通報を受信しました"))).to_be_visible()
    assert_accessible_without_js(console, new_context)
    assert_log_frame_accessible(new_context, console.context, case_url + "/log")

    console.get_by_label("返信").fill("救急車が向かっています。")  # not sent yet
    phone.get_by_label("メッセージ").fill("父が倒れて動きません")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(chat.get_by_text("父が倒れて動きません")).to_be_visible(timeout=REFRESHED_MS)
    expect(console.get_by_label("返信")).to_have_value("救急車が向かっています。")
    assert console.url == case_url
    # Shown to the dispatcher in the frame: the resident is told it was read.
    expect(phone.locator("#chat-log li", has_text="父が倒れて動きません")).to_contain_text("既読", timeout=REFRESHED_MS)

    # The case's queue beside it comes in by itself as well.
    later = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    next_case = report(later, live_server, "火事", "自宅")
    expect(queue_frame(console).get_by_role("link", name=re.compile(next_case))).to_be_visible(timeout=REFRESHED_MS)
    expect(console.get_by_label("返信")).to_have_value("救急車が向かっています。")
