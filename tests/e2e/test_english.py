"""A resident who chose English, in a real browser: what arrives live and what the scripts write.

The page as the browser holds it (socket frames swapped in, notices written by
static/js/app.js) is read as a screen reader would: Japanese only inside lang="ja".
"""
import re

import pytest
from playwright.sync_api import expect

from ..test_english_pages import unmarked_japanese
from .conftest import IN_CHITOSE, assert_accessible, tap_to_send
from .test_chat_taps import open_case
from .test_journey import open_console

pytestmark = pytest.mark.e2e


def assert_english_page(page):
    """The live page says lang="en" and marks all its Japanese lang="ja"."""
    html = page.evaluate("() => document.documentElement.outerHTML")
    assert html.startswith('<html lang="en"')
    unmarked = unmarked_japanese(html)
    assert not unmarked, "Japanese not marked lang=\"ja\" on an English page:\n" + "\n".join(unmarked)


def english_device(new_context, live_server, **options):
    """A phone that chose English, with the demo resident logged in."""
    context = new_context(**options)
    context.add_cookies([{"name": "net119_lang", "value": "en", "url": live_server.base_url}])
    phone = context.new_page()
    account = live_server.account("residents")
    phone.goto(live_server.base_url + "/login")
    phone.get_by_label("Login ID").fill(account["login"])
    phone.get_by_label("Password").fill(account["password"])
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_role("button", name=re.compile("^Fire"))).to_be_visible()
    return phone

def test_an_english_chat_stays_english_live_and_when_a_message_does_not_arrive(live_server, new_context):
    console = open_console(new_context, live_server)
    phone = english_device(new_context, live_server, geolocation=IN_CHITOSE, permissions=["geolocation"])
    phone.get_by_role("button", name=re.compile("^Fire")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^Home")))
    case_number = phone.locator(".case-number strong").inner_text()
    expect(phone.locator(".geo-status")).to_contain_text("Location sent")
    assert_english_page(phone)

    # Words the Japanese dispatcher sends arrive over the socket, the HQ's name with them.
    open_case(console, case_number)
    console.get_by_label("返信").fill("消防車が向かっています")
    console.get_by_role("button", name=re.compile("^送信")).click()
    console.get_by_role("button", name=re.compile("^出動しました")).click()
    expect(phone.locator("#chat-log").get_by_text("消防車が向かっています")).to_be_visible()
    expect(phone.locator("#status-banner")).to_contain_text("Units dispatched")
    assert_english_page(phone)

    # A message that cannot go: the script's own words, after 10 s.
    phone.context.set_offline(True)
    phone.get_by_label("Message").fill("I am outside")
    phone.get_by_role("button", name=re.compile("^Send")).click()
    notice = phone.get_by_role("alert").filter(has_text="has not arrived yet")
    expect(notice).to_be_visible(timeout=12_000)
    assert_english_page(phone)
    assert_accessible(phone)
    phone.context.set_offline(False)
