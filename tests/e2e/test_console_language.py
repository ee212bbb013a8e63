"""The console says which residents read the service in English: in the queue before a case is
taken, and beside the reply box, following the resident's switch of language while it is open."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import IN_CHITOSE, assert_accessible, tap_to_send
from .test_chat_taps import open_case
from .test_english import assert_english_page, english_device
from .test_journey import open_console

pytestmark = pytest.mark.e2e

NOTE = "通報者の画面は英語です"


def test_the_console_follows_the_language_the_resident_reads(live_server, new_context):
    console = open_console(new_context, live_server)
    phone = english_device(new_context, live_server, geolocation=IN_CHITOSE, permissions=["geolocation"])
    phone.get_by_role("button", name=re.compile("^Fire")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^Home")))
    case_number = phone.locator(".case-number strong").inner_text()

    # In the queue, in words (not a colour), before anyone takes the case.
    row = console.locator("#queue li", has_text=case_number)
    expect(row.locator(".queue__language")).to_have_text("通報者の画面：英語")
    expect(console.locator("#queue").get_by_role("link", name=re.compile(case_number))).to_contain_text("英語")
    assert_accessible(console)

    open_case(console, case_number)
    note = console.locator("#resident-language")
    expect(note).to_contain_text(NOTE)

    # The resident switches to Japanese on the chat: the note goes from the open case, without
    # a reload, the chat says why, and the queue's mark goes.
    phone.get_by_role("link", name="日本語").click()
    expect(phone.locator("#chat-log")).to_contain_text("画面を日本語にしました。消防本部にも伝えました。")
    expect(note).not_to_contain_text(NOTE)
    expect(console.locator("#chat-log")).to_contain_text("通報者の画面が日本語に切り替わりました。")
    expect(console.locator("#queue li", has_text=case_number).locator(".queue__language")).to_have_count(0)
    assert_accessible(console)

    # And back to English: the note returns, and the resident reads, in English, that the HQ knows.
    phone.get_by_role("link", name="English").click()
    expect(phone.locator("#chat-log")).to_contain_text("Your pages are now in English. The fire HQ has been told.")
    expect(note).to_contain_text(NOTE)
    expect(console.locator("#queue li", has_text=case_number).locator(".queue__language")).to_have_count(1)
    assert_english_page(phone)
    assert_accessible(phone)
    assert_accessible(console)
