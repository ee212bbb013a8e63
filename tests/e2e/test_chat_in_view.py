"""A new message is where the reader can see it, on a small phone and on the console.

A deaf resident is told of a message by a flash and a vibration, never a sound; on a 360 × 640
phone the chat's newest message sat below the fold, so the flash sent them hunting for it.
"""
import re

import pytest
from playwright.sync_api import expect

from ..http_session import HttpSession
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


# Counts the media-query listeners a page holds (added less removed), whatever adds them.
COUNT_MEDIA_LISTENERS = """(() => {
  window.net119MediaListeners = 0;
  const proto = MediaQueryList.prototype;
  const wrap = (name, step, isChange) => {
    const original = proto[name];
    proto[name] = function (...args) {
      if (isChange(args)) window.net119MediaListeners += step;
      return original.apply(this, args);
    };
  };
  wrap("addEventListener", 1, (args) => args[0] === "change");
  wrap("removeEventListener", -1, (args) => args[0] === "change");
  wrap("addListener", 1, () => true);
  wrap("removeListener", -1, () => true);
})();"""


def test_a_shift_of_cases_opened_in_one_console_page_adds_no_listeners(live_server, new_context):
    """Boosted navigation keeps the document: every case opened in it brought a new media-query
    listener for its chat log, never removed, so a long shift piled up hundreds (each holding its
    old log). Now the page has one, and it still acts on the log on screen."""
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    cases = [resident.start_report(kind="other") for _ in range(4)]
    console_context = new_context(viewport={"width": 1920, "height": 1080})
    console_context.add_init_script(COUNT_MEDIA_LISTENERS)
    console = console_context.new_page()
    log_in(console, live_server.base_url, live_server.account("dispatchers"), path="/dispatch/login")
    open_case(console, cases[0])
    console.evaluate("() => { window.net119SamePage = true; }")
    listeners = console.evaluate("() => window.net119MediaListeners")

    for case_number in cases[1:] + cases[:1]:
        # htmx lends the new log the old one's attributes until the swap settles, and then runs
        # the page's scripts for it (htmx:load): a log without the mark is settled and set up.
        console.evaluate("() => { document.getElementById('chat-log').dataset.before = ''; }")
        open_case(console, case_number)
        expect(console.get_by_role("heading", level=1)).to_contain_text(case_number)
        expect(console.locator("#chat-log:not([data-before])")).to_have_attribute("tabindex", "0")
    assert console.evaluate("() => window.net119SamePage") is True  # boosted: one document all along
    assert console.evaluate("() => window.net119MediaListeners") == listeners

    # The one listener follows the width for the log on screen: out of the Tab order on a
    # narrow window (the page scrolls, not the log), back in on a wide one.
    console.set_viewport_size({"width": 800, "height": 1000})
    expect(console.locator("#chat-log")).not_to_have_attribute("tabindex", "0")
    console.set_viewport_size({"width": 1920, "height": 1080})
    expect(console.locator("#chat-log")).to_have_attribute("tabindex", "0")
    assert_accessible(console)


# Notes every moment a chat log that scrolls is on the page outside the Tab order.
WATCH_UNFOCUSABLE_LOG = """(() => {
  window.net119UnfocusableLog = [];
  new MutationObserver(() => {
    const log = document.getElementById("chat-log");
    if (log && !log.hasAttribute("tabindex") && log.scrollHeight > log.clientHeight)
      window.net119UnfocusableLog.push(location.pathname);
  }).observe(document, { childList: true, subtree: true, attributes: true });
})();"""


def test_a_long_chat_opened_from_the_queue_is_in_the_tab_order_as_soon_as_it_is_on_the_page(
        live_server, new_context):
    """A boosted link swaps the case in at once, and htmx runs the page's scripts for it only as
    the swap settles (20 ms later). The log, scrolling in its column, was meanwhile outside the
    Tab order: an axe scan that started then failed the console test (scrollable-region-focusable),
    once in a few runs."""
    resident = HttpSession(live_server.base_url).login(live_server.account("residents"))
    case_number = resident.start_report(kind="other")
    for n in range(1, 13):
        fields = resident.form(f"/reports/{case_number}")
        status, _, _ = resident.request(f"/reports/{case_number}/messages",
                                        {**fields, "body": f"{n}番目の知らせです。\n二行目です。"})
        assert status == 303
    context = new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(WATCH_UNFOCUSABLE_LOG)
    console = context.new_page()
    log_in(console, live_server.base_url, live_server.account("dispatchers"), path="/dispatch/login")
    console_log = open_case(console, case_number)
    expect(console_log.get_by_text("12番目の知らせです")).to_be_visible()
    expect(console_log).to_have_attribute("tabindex", "0")
    assert console.evaluate("() => { const log = document.getElementById('chat-log'); return log.scrollHeight > log.clientHeight; }")
    assert console.evaluate("() => window.net119UnfocusableLog") == []
    assert_accessible(console)
