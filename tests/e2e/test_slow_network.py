"""The second tap on a slow network (static/js/offline.js): the page says at once that the
report is on its way, and the chat replaces it when the answer comes.

Without it a phone on a weak signal showed the "where?" buttons, unchanged, for as long as the
answer took (seven seconds at 3 s of latency, measured in the demo): a resident in a hurry
reads that as a tap that did nothing."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, log_in_resident, tap_to_send
from .test_pwa import reports_with
from .test_saved_report import CHAT, report_posts

pytestmark = pytest.mark.e2e

SENDING = "通報を送っています。"


def slow_network(context, page, latency_ms):
    """Every request and answer of ``page`` waits ``latency_ms`` (Chromium's own throttling)."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1})
    return cdp


def test_a_report_on_a_slow_network_says_it_is_being_sent(served, new_context):
    live_server = served()  # its own database: the report it opens must not reach other tests
    context = new_context()
    posted = report_posts(context)
    phone = context.new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    phone.get_by_role("button", name=re.compile("^火事")).click()
    expect(phone.get_by_role("button", name=re.compile("^自宅"))).to_be_visible()

    slow_network(context, phone, 2_500)
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))

    # Long before the answer (2.5 s each way, and a redirect): said in the alert region, both languages.
    sending = phone.get_by_role("alert").filter(has_text=SENDING)
    expect(sending).to_be_visible(timeout=1_500)
    expect(sending).to_contain_text("Sending your report.")
    assert not CHAT.search(phone.url)
    assert_accessible(phone)

    # The answer is the chat; the notice goes with the page it was on.
    expect(phone).to_have_url(CHAT, timeout=20_000)
    expect(phone.get_by_text(SENDING)).to_have_count(0)
    assert len(set(posted)) == 1
    assert reports_with(live_server, posted[0]) == 1


def test_a_report_with_no_answer_is_kept_after_sending(live_server, new_context):
    # The shared server: this report never reaches it.
    context = new_context()
    phone = context.new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    phone.get_by_role("button", name=re.compile("^救急")).click()
    expect(phone.get_by_role("button", name=re.compile("^自宅"))).to_be_visible()

    # The request goes, and no answer ever comes (a route left unanswered): "sending" until the
    # page gives up on it (TIMEOUT_MS, 15 s), then the kept report's notice.
    held = []

    def hold(route):
        held.append(route)
    context.route(re.compile(r"/reports$"), hold)
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))

    expect(phone.get_by_role("alert").filter(has_text=SENDING)).to_be_visible(timeout=1_500)
    expect(phone.get_by_role("alert").filter(has_text="通報はまだ送られていません。")).to_be_visible(timeout=25_000)
    assert held, "the report's request never left the page"
    expect(phone.get_by_text(SENDING)).to_have_count(0)
