"""What a screen reader is told, and what it is spared: 既読 is heard, a location fix that
only moves its error by a few metres is not. (A deaf-blind resident reads the page on a
braille display through a screen reader; every live-region change interrupts them.)"""
import re

import pytest
from playwright.sync_api import expect

from .conftest import IN_CHITOSE, log_in
from .test_chat_taps import open_case, report
from .test_journey import open_console

pytestmark = pytest.mark.e2e

# Records every change of text inside a live region (aria-live or role=status), which is
# what a screen reader would read out.
WATCH_LIVE_REGIONS = """() => {
  window.__spoken = [];
  new MutationObserver(function (records) {
    records.forEach(function (r) {
      var node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      var region = node && node.closest('[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"]');
      if (region) window.__spoken.push(region.textContent.trim());
    });
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


def test_a_new_error_figure_is_shown_but_not_read_out_again(live_server, new_context):
    device = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"])
    phone = device.new_page()
    log_in(phone, live_server.base_url, live_server.account("residents"))
    status = phone.locator(".choices--onetap .geo-status")
    expect(status).to_have_text(re.compile("誤差 約18 m"))
    # Heard once: the page has found where the resident is.
    expect(phone.get_by_role("status").filter(has_text="現在地を取得しました")).to_have_count(1)
    # The shown line is for the eyes: read in browse mode, the same words twice would be noise.
    expect(status).to_have_attribute("aria-hidden", "true")

    phone.evaluate(WATCH_LIVE_REGIONS)
    device.set_geolocation({**IN_CHITOSE, "accuracy": 25})
    expect(status).to_have_text(re.compile("誤差 約25 m"))  # the line shows the new figure
    device.set_geolocation({**IN_CHITOSE, "accuracy": 9})
    expect(status).to_have_text(re.compile("誤差 約9 m"))
    spoken = phone.evaluate("window.__spoken")
    assert spoken == [], spoken  # and nothing was read out


def test_read_is_announced_to_whoever_sent_the_message(live_server, new_context):
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, live_server, "火事", "自宅")
    phone.get_by_label("メッセージ").fill("台所から火が出ています")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    mine = phone.locator("#chat-log .event--mine", has_text="台所から火が出ています")
    expect(mine.get_by_text("届きました")).to_be_visible()
    read_news = phone.get_by_role("status").filter(has_text="既読")
    expect(read_news).to_have_count(0)

    # The dispatcher opens the case: the resident's message turns 既読, and that is said.
    console = open_console(new_context, live_server)
    open_case(console, case_number)
    expect(mine.get_by_text("既読")).to_be_visible()
    expect(read_news).to_have_text("既読：送ったメッセージが読まれました")

    # The same the other way: the dispatcher hears that the resident has seen the reply.
    console.get_by_label("返信").fill("消防車が向かっています")
    console.get_by_role("button", name=re.compile("^送信")).click()
    expect(phone.locator("#chat-log").get_by_text("消防車が向かっています")).to_be_visible()
    expect(console.get_by_role("status").filter(has_text="既読")).to_have_text("既読：送ったメッセージが読まれました")
