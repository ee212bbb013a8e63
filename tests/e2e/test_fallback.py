"""A chat whose live part cannot run falls back to the no-JavaScript chat (static/js/fallback.js).

With JavaScript on, a browser hides <noscript>: if htmx never arrives (a download that failed on
a bad network) or cannot run (a phone too old for it, SPEC §1), the resident would otherwise face
a message list that never updates and taps that go nowhere."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible
from .test_chat_taps import open_case, report
from .test_journey import open_console

pytestmark = pytest.mark.e2e

HTMX = "**/static/vendor/htmx/htmx.min.js*"


def failed_download(route):
    route.abort("connectionreset")


def too_new_for_this_browser(route):
    # What an old engine makes of htmx 2: a syntax error, so nothing of it runs.
    route.fulfill(body="const ready = () => { ?.; }", content_type="text/javascript")


@pytest.mark.parametrize("htmx_answer", [failed_download, too_new_for_this_browser])
def test_without_htmx_the_chat_is_the_self_refreshing_frame_and_taps_are_plain_posts(
        live_server, new_context, htmx_answer):
    console = open_console(new_context, live_server)
    device = new_context(service_workers="block")  # the worker would serve htmx from its cache
    device.route(HTMX, htmx_answer)
    phone = device.new_page()
    case_number = report(phone, live_server, "火事", "自宅")
    console_log = open_case(console, case_number)

    messages = phone.frame_locator("iframe[title^='メッセージ']")
    expect(messages.get_by_text(re.compile("通報を受信しました"))).to_be_visible()
    expect(phone.locator("#chat-log")).to_be_hidden()
    assert_accessible(phone)

    # A chip in the frame, a quick phrase and a typed message each arrive once.
    messages.get_by_role("group", name=re.compile("^何が燃えていますか")).get_by_role(
        "button", name=re.compile("^家")).click()
    expect(console_log.locator(".event--answer", has_text="家")).to_be_visible()
    phone.get_by_role("button", name=re.compile("^早く来てください")).click()
    expect(console_log.get_by_text("早く来てください", exact=True)).to_be_visible()
    phone.get_by_label("メッセージ").fill("二階に人がいます")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(console_log.get_by_text("二階に人がいます", exact=True)).to_be_visible()
    expect(messages.get_by_text("二階に人がいます", exact=True)).to_be_visible()

    # The dispatcher's reply comes in through the frame, which refreshes itself.
    console.get_by_label("返信").fill("消防車が向かっています")
    console.get_by_role("button", name=re.compile("^送信")).click()
    expect(messages.get_by_text("消防車が向かっています")).to_be_visible(timeout=15_000)
    for text in ("早く来てください", "二階に人がいます"):
        expect(console_log.get_by_text(text, exact=True)).to_have_count(1)
    expect(console_log.locator(".event--answer")).to_have_count(1)


def test_with_htmx_the_chat_loads_no_message_frame(live_server, new_context):
    """A live chat gets no frame, nor its requests: reached through htmx (the taps are boosted
    forms), loaded whole (a reload), or restored by the back button from htmx's history."""
    phone = new_context().new_page()
    frames = []
    phone.on("request", lambda request: frames.append(request.url)
             if re.search(r"/reports/[^/]+/log", request.url) else None)
    report(phone, live_server, "救急", "自宅")
    chat_url = phone.url
    phone.reload()
    expect(phone.locator(".chat[data-live='']")).to_have_count(1)
    phone.locator(".site-name a").click()  # a boosted link: htmx keeps the chat for the back button
    expect(phone.get_by_role("button", name=re.compile("^火事"))).to_be_visible()
    phone.go_back()
    expect(phone).to_have_url(chat_url)
    expect(phone.locator("#chat-log")).to_be_visible()
    phone.wait_for_timeout(6000)  # longer than the frame's own refresh
    assert phone.locator("iframe").count() == 0 and frames == []
