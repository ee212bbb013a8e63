"""Delivery you can trust, in a real browser.

Offline, a reload, the back/forward cache, the background, the 10-second notice, 既読.
"""
import json
import re

import pytest
from playwright.sync_api import expect

from .conftest import IN_CHITOSE, assert_accessible, log_in, tap_to_send
from .network import PhoneNetwork
from .test_journey import open_console

pytestmark = pytest.mark.e2e


def open_chat(new_context, live_server, kind="^火事", frames_sent=None):
    """A resident's context and page on the chat of a new report (its socket's frames to ``frames_sent``)."""
    context = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"])
    phone = context.new_page()
    if frames_sent is not None:
        phone.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames_sent.append(payload)))
    log_in(phone, live_server.base_url, live_server.account("residents"))
    phone.get_by_role("button", name=re.compile(kind)).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))
    expect(phone.get_by_text("千歳市消防本部")).to_be_visible()
    return context, phone, phone.locator(".case-number strong").inner_text()


def send(page, label, text):
    page.get_by_label(label).fill(text)
    page.get_by_role("button", name=re.compile("^送信")).click()


def bubble(page, text):
    return page.locator("#chat-log li", has_text=text)


def test_offline_messages_say_so_then_arrive_once_and_are_read(live_server, new_context):
    console = open_console(new_context, live_server)
    context, phone, case_number = open_chat(new_context, live_server)
    console.locator("#queue").get_by_role("link", name=re.compile(case_number)).click()
    expect(console.get_by_role("heading", name=re.compile(case_number))).to_be_visible()

    context.set_offline(True)
    send(phone, "メッセージ", "一通目：煙が見えます")
    send(phone, "メッセージ", "二通目：外に出ました")
    for text in ("一通目：煙が見えます", "二通目：外に出ました"):
        expect(bubble(phone, text).get_by_text("送信中", exact=True)).to_be_visible()
    send(console, "返信", "消防車が向かっています")

    # Nothing pretends to be delivered: after 10 s the page says so, with the other ways.
    expect(bubble(phone, "一通目").get_by_text("まだ届いていません")).to_be_visible(timeout=12_000)
    notice = phone.get_by_role("alert").filter(has_text="まだ届いていません")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("FAX 119")
    assert_accessible(phone)

    context.set_offline(False)
    for text in ("一通目：煙が見えます", "二通目：外に出ました"):
        # The console shows the case, so each message goes 届きました -> 既読.
        expect(bubble(phone, text).get_by_text("既読")).to_be_visible()
        expect(console.locator("#chat-log").get_by_text(text)).to_have_count(1)
    expect(phone.locator("#chat-log").get_by_text("消防車が向かっています")).to_be_visible()
    expect(notice).to_have_count(0)
    for text in ("一通目：煙が見えます", "二通目：外に出ました", "消防車が向かっています"):
        expect(bubble(phone, text)).to_have_count(1)
    # Nothing shown twice. (Two position updates may read alike: each socket opened sends one.)
    seqs = phone.locator("#chat-log li").evaluate_all("lis => lis.map(li => li.getAttribute('data-seq'))")
    assert None not in seqs and len(seqs) == len(set(seqs)), seqs


def test_a_read_frame_goes_out_for_the_other_sides_messages_only(live_server, new_context):
    frames = []
    console = open_console(new_context, live_server)
    _, phone, case_number = open_chat(new_context, live_server, frames_sent=frames)

    def read_seqs():
        return [json.loads(f)["seq"] for f in frames if isinstance(f, str) and '"read"' in f]

    send(phone, "メッセージ", "自分のメッセージです")
    expect(bubble(phone, "自分のメッセージです").get_by_text("届きました")).to_be_visible()
    own = int(bubble(phone, "自分のメッセージです").get_attribute("data-seq"))
    phone.wait_for_timeout(500)  # a read frame would have gone out with the acknowledgement
    assert not [seq for seq in read_seqs() if seq >= own]

    console.locator("#queue").get_by_role("link", name=re.compile(case_number)).click()
    send(console, "返信", "見ています")
    expect(bubble(phone, "見ています")).to_be_visible()
    theirs = int(bubble(phone, "見ています").get_attribute("data-seq"))
    # The dispatcher sees the reply read, from the read frame the page sent for it.
    expect(bubble(console, "見ています").get_by_text("既読")).to_be_visible()
    assert theirs in read_seqs()


def test_a_reload_mid_chat_loses_and_repeats_nothing(live_server, new_context):
    console = open_console(new_context, live_server)
    context, phone, case_number = open_chat(new_context, live_server, kind="^救急")
    console.locator("#queue").get_by_role("link", name=re.compile(case_number)).click()
    send(phone, "メッセージ", "リロード前に届いた")
    expect(bubble(phone, "リロード前に届いた").get_by_text(re.compile("届きました|既読"))).to_be_visible()

    context.set_offline(True)
    send(phone, "メッセージ", "圏外でリロード")
    expect(bubble(phone, "圏外でリロード").get_by_text("送信中", exact=True)).to_be_visible()
    send(console, "返信", "リロードの間の返信")
    context.set_offline(False)
    phone.reload()

    expect(console.locator("#chat-log").get_by_text("圏外でリロード")).to_have_count(1)
    expect(bubble(phone, "圏外でリロード")).to_have_count(1)
    expect(bubble(phone, "圏外でリロード").get_by_text(re.compile("届きました|既読"))).to_be_visible()
    expect(bubble(phone, "リロード前に届いた")).to_have_count(1)
    expect(phone.locator("#chat-log").get_by_text("リロードの間の返信")).to_have_count(1)


@pytest.mark.parametrize("code", [1000, 4000])
def test_the_page_reconnects_after_any_close_and_resumes(live_server, new_context, code):
    console = open_console(new_context, live_server)
    _, phone, case_number = open_chat(new_context, live_server)
    console.locator("#queue").get_by_role("link", name=re.compile(case_number)).click()
    send(console, "返信", f"閉じる前 {code}")
    expect(phone.locator("#chat-log").get_by_text(f"閉じる前 {code}")).to_be_visible()
    # htmx's ws extension retries only 1006/1011/1012/1013 by itself.
    phone.evaluate("code => document.querySelector('[data-last-seq]')._net119.socket.close(code)", code)
    send(console, "返信", f"閉じた後 {code}")
    expect(phone.locator("#chat-log").get_by_text(f"閉じた後 {code}")).to_have_count(1, timeout=10_000)
    expect(phone.locator("#chat-log").get_by_text(f"閉じる前 {code}")).to_have_count(1)


def test_back_to_the_chat_from_the_back_forward_cache_shows_what_came_meanwhile_once(
        live_server, new_context, new_context_with_back_forward_cache):
    """The chat kept in the back/forward cache while the resident looks at another page, then restored.

    It also checks that the page is restored at all: the service worker's answer to the page,
    arriving after it had left, used to evict it from the cache (going back meant a full load).
    """
    console = open_console(new_context, live_server)
    _, phone, case_number = open_chat(new_context_with_back_forward_cache, live_server)
    console.locator("#queue").get_by_role("link", name=re.compile(case_number)).click()
    send(console, "返信", "離れる前の返信")
    expect(bubble(phone, "離れる前の返信")).to_be_visible()

    phone.evaluate("() => { window.keptInCache = true }")
    phone.goto(live_server.base_url + "/proxy")  # the proxy-call card, as its button would
    send(console, "返信", "離れている間の返信")
    expect(bubble(console, "離れている間の返信").get_by_text("届きました")).to_be_visible()
    phone.go_back(wait_until="commit")  # a page restored from the cache fires no load event

    assert phone.evaluate("() => window.keptInCache === true"), phone.evaluate(
        "() => JSON.stringify(performance.getEntriesByType('navigation')[0].notRestoredReasons)")
    expect(bubble(phone, "離れている間の返信")).to_have_count(1)
    expect(bubble(phone, "離れる前の返信")).to_have_count(1)
    send(phone, "メッセージ", "戻りました")
    expect(console.locator("#chat-log").get_by_text("戻りました")).to_have_count(1)
    expect(bubble(phone, "戻りました").get_by_text("既読")).to_be_visible()
    # Seen by the resident after coming back, so the dispatcher's reply turns 既読.
    expect(bubble(console, "離れている間の返信").get_by_text("既読")).to_be_visible()


# Playwright cannot send a page to the background; the page reads only this property and event.
SET_VISIBILITY = """state => {
    Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
    document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_a_page_back_from_the_background_reconnects_and_resumes(live_server, new_context):
    """A phone back from the background may hold a socket that died silently: it opens a new one."""
    console = open_console(new_context, live_server)
    _, phone, case_number = open_chat(new_context, live_server, kind="^救急")
    console.locator("#queue").get_by_role("link", name=re.compile(case_number)).click()
    send(console, "返信", "背景に回る前")
    expect(bubble(phone, "背景に回る前")).to_be_visible()

    # Hidden for longer than the page trusts a quiet socket (STALE_AFTER_HIDDEN_MS in static/js/app.js).
    phone.evaluate(SET_VISIBILITY, "hidden")
    phone.wait_for_timeout(5_500)
    send(console, "返信", "背景の間の返信")
    with phone.expect_websocket() as reopened:
        phone.evaluate(SET_VISIBILITY, "visible")
    # It resumes from the last sequence number the page holds.
    assert re.search(rf"/reports/{case_number}/ws\?after=\d+$", reopened.value.url), reopened.value.url

    expect(bubble(phone, "背景の間の返信")).to_have_count(1)
    expect(bubble(phone, "背景に回る前")).to_have_count(1)
    send(phone, "メッセージ", "前に戻りました")
    expect(console.locator("#chat-log").get_by_text("前に戻りました")).to_have_count(1)


def test_where_storage_is_refused_an_offline_message_still_waits_and_arrives(live_server, new_context):
    """Safari's private mode and a full quota make localStorage throw. The outbox lived
    only there: a message typed offline was shown 送信中 and then never sent."""
    console = open_console(new_context, live_server)
    context = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"])
    context.add_init_script("""Storage.prototype.setItem = function () {
        throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
    };""")
    phone = context.new_page()
    log_in(phone, live_server.base_url, live_server.account("residents"))
    phone.get_by_role("button", name=re.compile("^火事")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))
    case_number = phone.locator(".case-number strong").inner_text()
    console.locator("#queue").get_by_role("link", name=re.compile(case_number)).click()

    # The socket drops and cannot come back (each new one asks for a path the server does not
    # serve): now the outbox alone carries a message. (Chromium's offline mode leaves an open
    # socket be, and closing one while offline waits for a closing handshake that cannot come.)
    phone.evaluate("""() => {
        window.RealWebSocket = window.WebSocket;
        window.WebSocket = function () { return new RealWebSocket(location.origin.replace("http", "ws") + "/no-such-socket"); };
        document.querySelector(".chat")._net119.socket.close();
    }""")
    expect(phone.locator(".chat[data-offline]")).to_have_count(1)
    send(phone, "メッセージ", "保存できない端末から")
    expect(bubble(phone, "保存できない端末から").get_by_text("送信中", exact=True)).to_be_visible()
    phone.evaluate("() => { window.WebSocket = window.RealWebSocket; }")
    expect(console.locator("#chat-log").get_by_text("保存できない端末から")).to_have_count(1)
    expect(bubble(phone, "保存できない端末から").get_by_text(re.compile("届きました|既読"))).to_be_visible()


def test_a_reconnect_while_another_is_still_connecting_leaves_one_socket(live_server, new_context):
    """A page restored from the back/forward cache reconnects while the extension's own retry
    may be connecting too. The older socket, opening later, was taken for the chat's: its
    resume went to the newer one, still connecting (an uncaught error), and it stayed open."""
    sockets = []
    context = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"])
    phone = context.new_page()
    phone.on("websocket", lambda ws: sockets.append(ws))
    log_in(phone, live_server.base_url, live_server.account("residents"))
    phone.get_by_role("button", name=re.compile("^火事")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))
    expect(phone.locator(".chat[data-live='']")).to_have_count(1)
    send(phone, "メッセージ", "つながる前")
    expect(bubble(phone, "つながる前").get_by_text(re.compile("届きました|既読"))).to_be_visible()

    phone.evaluate("() => { const w = document.querySelector('.chat')._net119.wrapper; w.reconnect(); w.reconnect(); }")
    phone.wait_for_function("() => document.querySelector('.chat')._net119 && "
                            "document.querySelector('.chat')._net119.socket.readyState === 1")
    send(phone, "メッセージ", "つながった後")
    expect(bubble(phone, "つながった後").get_by_text(re.compile("届きました|既読"))).to_be_visible()
    expect(bubble(phone, "つながった後")).to_have_count(1)
    phone.wait_for_timeout(500)
    assert len([ws for ws in sockets if not ws.is_closed()]) == 1, [ws.url for ws in sockets if not ws.is_closed()]


@pytest.fixture
def phone_network(live_server):
    network = PhoneNetwork(live_server.port)
    yield network
    network.close()


def chat_through(network, new_context, live_server, clock=False):
    """A resident's page on a new report's chat, reaching the server through ``network``."""
    phone = new_context(service_workers="block").new_page()
    if clock:
        phone.clock.install()  # time flows as usual until the test moves it on
    log_in(phone, network.base_url, live_server.account("residents"))
    phone.get_by_role("button", name=re.compile("^救急")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))
    expect(phone.locator(".chat[data-live='']")).to_have_count(1)
    return phone, phone.locator(".case-number strong").inner_text()


def test_a_message_left_unanswered_on_a_silent_socket_goes_again_on_a_new_one(
        live_server, new_context, phone_network):
    """A network can stop carrying a socket without closing it (a phone moved off Wi-Fi or
    between cells, a NAT that forgot it). The page hears nothing, nor does the browser: TCP
    may take a quarter of an hour to give up. Before, a message typed then stayed 送信中 all
    that time, and the dispatcher's replies never came."""
    console = open_console(new_context, live_server)
    phone, case_number = chat_through(phone_network, new_context, live_server)
    console.locator("#queue").get_by_role("link", name=re.compile(case_number)).click()
    send(console, "返信", "聞こえていますか")
    expect(bubble(phone, "聞こえていますか")).to_be_visible()

    sockets = phone_network.sockets_passed
    phone_network.go_silent()
    send(console, "返信", "途切れている間の返信")
    send(phone, "メッセージ", "途切れた後の一通")
    expect(bubble(phone, "途切れた後の一通").get_by_text("送信中", exact=True)).to_be_visible()
    # Unanswered for ANSWER_MS (8 s): a new socket sends it again and resumes.
    expect(console.locator("#chat-log").get_by_text("途切れた後の一通")).to_have_count(1, timeout=15_000)
    expect(bubble(phone, "途切れた後の一通").get_by_text(re.compile("届きました|既読"))).to_be_visible()
    expect(bubble(phone, "途切れている間の返信")).to_have_count(1)
    expect(bubble(phone, "聞こえていますか")).to_have_count(1)
    assert phone_network.sockets_passed == sockets + 1


def test_a_quiet_chat_asks_whether_its_socket_still_gets_through(live_server, new_context, phone_network):
    """With nothing to send, the page would never learn that its socket has gone silent, and a
    reply would wait for it unseen: after QUIET_MS (25 s) of silence it asks (a resume, which
    the server always answers), and a socket that does not answer is replaced."""
    console = open_console(new_context, live_server)
    phone, case_number = chat_through(phone_network, new_context, live_server, clock=True)
    console.locator("#queue").get_by_role("link", name=re.compile(case_number)).click()
    send(console, "返信", "静かになる前")
    expect(bubble(phone, "静かになる前")).to_be_visible()

    sockets = phone_network.sockets_passed
    phone.clock.fast_forward(26_000)  # a quiet chat on a live network: asked and answered
    phone.wait_for_timeout(1_000)
    phone.clock.fast_forward(9_000)
    phone.wait_for_timeout(1_000)
    assert phone_network.sockets_passed == sockets

    phone_network.go_silent()
    send(console, "返信", "静かな間の返信")
    expect(bubble(console, "静かな間の返信").get_by_text("届きました")).to_be_visible()
    phone.wait_for_timeout(2_000)
    expect(bubble(phone, "静かな間の返信")).to_have_count(0)
    phone.clock.fast_forward(26_000)  # asked, into the silence
    phone.wait_for_timeout(1_000)
    phone.clock.fast_forward(9_000)  # no answer: a new socket
    expect(bubble(phone, "静かな間の返信")).to_have_count(1, timeout=5_000)
    expect(bubble(phone, "静かになる前")).to_have_count(1)
    assert phone_network.sockets_passed == sockets + 1


def test_on_a_network_that_keeps_losing_sockets_the_page_waits_longer_each_time(
        live_server, new_context, phone_network):
    """Each socket replaced in a row waits twice as long for an answer (8, 16, 32 s...): on a
    network that is only slow, a new socket every 8 s would make it slower still."""
    console = open_console(new_context, live_server)
    phone, case_number = chat_through(phone_network, new_context, live_server, clock=True)
    console.locator("#queue").get_by_role("link", name=re.compile(case_number)).click()
    sockets = phone_network.sockets_passed
    phone_network.silence_new_sockets = True
    phone_network.go_silent()

    def opened(count):
        """Wait for the ``count``th new socket through the network, open on the page."""
        for _ in range(50):
            if phone_network.sockets_passed >= sockets + count:
                break
            phone.wait_for_timeout(100)
        assert phone_network.sockets_passed == sockets + count
        phone.wait_for_function("() => document.querySelector('.chat')._net119.socket.readyState === 1")

    send(phone, "メッセージ", "遅い回線から")
    phone.clock.fast_forward(9_000)
    opened(1)  # unanswered for 8 s: a new socket, which is lost too
    phone.wait_for_timeout(500)
    phone.clock.fast_forward(9_000)
    phone.wait_for_timeout(1_000)
    assert phone_network.sockets_passed == sockets + 1  # this one is given 16 s
    phone.clock.fast_forward(8_000)
    opened(2)
    phone_network.silence_new_sockets = False
    phone.wait_for_timeout(500)
    phone.clock.fast_forward(20_000)
    phone.wait_for_timeout(1_000)
    assert phone_network.sockets_passed == sockets + 2  # and this one 32 s
    phone.clock.fast_forward(13_000)
    opened(3)
    expect(console.locator("#chat-log").get_by_text("遅い回線から")).to_have_count(1)
    expect(bubble(phone, "遅い回線から").get_by_text(re.compile("届きました|既読"))).to_be_visible()
