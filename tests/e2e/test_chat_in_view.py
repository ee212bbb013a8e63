"""A new message is where the reader can see it, on a small phone and on the console.

A deaf resident is told of a message by a flash and a vibration, never a sound; on a 360 × 640
phone the chat's newest message sat below the fold, so the flash sent them hunting for it.
"""
import re

import pytest
from playwright.sync_api import expect

from .conftest import IN_CHITOSE, assert_accessible, log_in
from .test_chat_taps import open_case, report
from .test_journey import open_console

pytestmark = pytest.mark.e2e

SMALL_PHONE = {"width": 360, "height": 640}


def send_reply(console, text):
    console.get_by_label("返信").fill(text)
    console.get_by_role("button", name=re.compile("^送信")).click()


def test_on_a_small_phone_the_hqs_new_message_and_question_come_into_view(live_server, new_context):
    console = open_console(new_context, live_server)
    phone = new_context(viewport=SMALL_PHONE, is_mobile=True, has_touch=True,
                        geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, live_server, "救急", "自宅")
    open_case(console, case_number)
    phone.evaluate("() => window.scrollTo(0, 0)")  # where a resident who has just reported looks

    send_reply(console, "救急車が向かっています。意識はありますか？")
    reply = phone.locator("#chat-log .event--theirs", has_text="救急車が向かっています")
    expect(reply).to_be_visible()
    expect(reply).to_be_in_viewport()

    # A question asked with answers: the answers to tap come into view, not only its line.
    phone.evaluate("() => window.scrollTo(0, 0)")
    console.get_by_label("質問", exact=True).fill("血が出ていますか？")
    console.get_by_role("button", name="質問を送る").click()
    answers = phone.get_by_role("group", name=re.compile("^血が出ていますか"))
    expect(answers.get_by_role("button", name=re.compile("^はい"))).to_be_in_viewport()

    # While the resident types, the page stays where it is: the box they type in is not
    # scrolled away from under their fingers (the flash still says something came).
    box = phone.get_by_label("メッセージ")
    box.click()
    box.press_sequentially("血は")
    expect(box).to_be_in_viewport()
    send_reply(console, "落ち着いてください。")
    expect(phone.locator("#chat-log .event--theirs", has_text="落ち着いてください")).to_have_count(1)
    phone.wait_for_timeout(300)  # a scroll would have been made with the message
    expect(box).to_be_in_viewport()
    expect(box).to_be_focused()


def test_on_a_small_phone_no_english_word_on_a_tap_button_is_cut_in_two(live_server, new_context):
    """「わかりました Understood」 broke as "Understoo / d" at 360 px: the buttons' own padding
    left the word too little room, and the page's last resort (overflow-wrap: anywhere, so
    that nothing runs off a narrow screen) cut it. A word cut in two is a word to decipher."""
    phone = new_context(viewport=SMALL_PHONE, is_mobile=True, has_touch=True,
                        geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    report(phone, live_server, "救急", "自宅")
    expect(phone.locator(".button--choice").first).to_be_visible()
    cut = phone.evaluate("""() => {
      const cut = [];
      for (const en of document.querySelectorAll('.button--phrase .en, .button--choice .en')) {
        const text = en.firstChild;
        if (!text || text.nodeType !== Node.TEXT_NODE) continue;
        for (const match of text.data.matchAll(/\\S+/g)) {
          const range = document.createRange();
          range.setStart(text, match.index);
          range.setEnd(text, match.index + match[0].length);
          const lines = new Set(Array.from(range.getClientRects(), r => Math.round(r.top)));
          if (lines.size > 1) cut.push(match[0]);
        }
      }
      return cut;
    }""")
    assert phone.locator(".button--phrase .en").count() >= 6
    assert cut == []




def in_view(page, selector):
    """Whether the element is wholly inside the window and not scrolled out of its own box."""
    return page.evaluate("""(selector) => {
      const el = document.querySelector(selector);
      const box = el.getBoundingClientRect();
      if (box.top < 0 || box.bottom > innerHeight) return false;
      for (let up = el.parentElement; up; up = up.parentElement) {
        const scroller = up.getBoundingClientRect();
        if (getComputedStyle(up).overflowY !== 'visible' && (box.bottom > scroller.bottom + 1 || box.top < scroller.top - 1))
          return false;
      }
      return true;
    }""", selector)


@pytest.mark.parametrize("screen", [{"width": 1920, "height": 1080}, {"width": 1280, "height": 800}],
                         ids=["desk", "laptop"])
def test_on_a_dispatch_desks_screen_the_chat_stays_beside_the_case(live_server, new_context, screen):
    """On a desk's monitor the chat sat under the status, answers, place, map and profile,
    a screen and more below the top: a dispatcher read the map or the chat, never both, and
    scrolled for every message. Now it is a column of its own beside them, with its newest
    message and the reply box in view."""
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, live_server, "救急", "自宅")
    console = new_context(viewport=screen).new_page()
    log_in(console, live_server.base_url, live_server.account("dispatchers"), path="/dispatch/login")
    console_log = open_case(console, case_number)
    assert in_view(console, "#chat-log > .event:last-child")
    assert in_view(console, ".chat textarea")

    # A long chat: the newest message is still the one in view, and the reply box.
    for n in range(1, 13):
        phone.get_by_label("メッセージ").fill(f"{n}番目の知らせです。\n二行目です。")
        phone.get_by_role("button", name=re.compile("^送信")).click()
        expect(console_log.get_by_text(f"{n}番目の知らせです")).to_have_count(1)
    assert console.evaluate("() => { const log = document.querySelector('#chat-log'); return log.scrollHeight > log.clientHeight; }")
    assert in_view(console, "#chat-log > .event:last-child")
    assert in_view(console, ".chat textarea")

    # Down to the map and the profile: the chat stays beside them.
    console.locator(".leaflet-container").scroll_into_view_if_needed()
    expect(console.locator(".leaflet-container")).to_be_in_viewport(ratio=1)
    assert in_view(console, ".chat textarea")
    console.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    assert in_view(console, ".chat textarea")

    # Scrolled up in the chat to read an older message, the dispatcher is not pulled away by
    # a new one; the log can still be scrolled with the keyboard.
    console.evaluate("() => { document.querySelector('#chat-log').scrollTop = 0; }")
    phone.get_by_label("メッセージ").fill("まだですか")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(console_log.get_by_text("まだですか")).to_have_count(1)
    assert console.evaluate("() => document.querySelector('#chat-log').scrollTop") == 0
    assert console.locator("#chat-log").get_attribute("tabindex") == "0"

    # Its own reply brings the dispatcher back to the newest.
    console.get_by_label("返信").fill("あと3分です")
    console.get_by_role("button", name=re.compile("^送信")).click()
    expect(console_log.locator(".event--mine", has_text="あと3分です")).to_have_count(1)
    assert in_view(console, "#chat-log > .event:last-child")
    assert_accessible(console)
