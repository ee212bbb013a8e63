"""The chat where its live part cannot run: the no-JavaScript chat takes over (static/js/fallback.js).

With JavaScript on, a browser hides <noscript>: if htmx never arrives (a download that failed on
a bad network) or cannot run (a phone too old for it, SPEC §1), the resident would otherwise face
a message list that never updates and taps that go nowhere. The same holds on a network that
passes pages but refuses WebSockets, and older browsers lacking a newer form API still send
each tap with its words."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import IN_CHITOSE, assert_accessible, log_in, tap_to_send
from .network import PhoneNetwork
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

    # A chip in the frame, a quick phrase and a typed message each arrive once. The chip's form
    # loads the whole page (target=_top): a tap before that load ends would be lost with the old page.
    with phone.expect_navigation(url=re.compile("#choices$")):
        messages.get_by_role("group", name=re.compile("^何が燃えていますか")).get_by_role(
            "button", name=re.compile("^家")).click()
    expect(console_log.locator(".event--answer", has_text="家")).to_be_visible()
    phone.get_by_role("button", name=re.compile("^早く来てください")).click()
    expect(console_log.get_by_text("早く来てください", exact=True)).to_be_visible()
    phone.get_by_label("メッセージ").fill("二階に人がいます")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(console_log.get_by_text("二階に人がいます", exact=True)).to_be_visible()
    expect(messages.get_by_text("二階に人がいます", exact=True)).to_be_visible()

    # The dispatcher's reply comes in through the frame, which refreshes itself; where the
    # page's own script runs, the screen flashes for it.
    phone.evaluate("() => document.body.classList.remove('flash')")
    console.get_by_label("返信").fill("消防車が向かっています")
    console.get_by_role("button", name=re.compile("^送信")).click()
    expect(messages.get_by_text("消防車が向かっています")).to_be_visible(timeout=15_000)
    expect(phone.locator("body")).to_have_class(re.compile(r"\bflash\b"))
    for text in ("早く来てください", "二階に人がいます"):
        expect(console_log.get_by_text(text, exact=True)).to_have_count(1)
    expect(console_log.locator(".event--answer")).to_have_count(1)
    # Without htmx, its socket extension cannot load (and a broken htmx cannot parse): nothing else.
    expected = re.compile(r"htmx is not defined|SyntaxError|Unexpected token")
    assert new_context.page_problems and all(expected.search(p) for p in new_context.page_problems), \
        new_context.page_problems
    new_context.page_problems.clear()


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
    phone.wait_for_timeout(1500)  # the frame would load at once (and then refresh itself)
    assert phone.locator("iframe").count() == 0 and frames == []


@pytest.fixture
def socket_refusing_network(live_server):
    network = PhoneNetwork(live_server.port)
    network.refuse_sockets = True
    yield network
    network.close()


def test_where_sockets_are_refused_the_chat_goes_on_over_plain_requests_and_back(
        live_server, new_context, socket_refusing_network):
    network = socket_refusing_network
    console = open_console(new_context, live_server)
    phone = new_context(service_workers="block").new_page()
    log_in(phone, network.base_url, live_server.account("residents"))
    phone.get_by_role("button", name=re.compile("^救急")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))
    expect(phone.get_by_text("千歳市消防本部")).to_be_visible()
    console_log = open_case(console, phone.locator(".case-number strong").inner_text())

    # Typed before the page knows: it waits (送信中), then goes as a plain post.
    phone.get_by_label("メッセージ").fill("父が倒れました")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(phone.locator(".event--pending", has_text="父が倒れました")).to_be_visible()
    messages = phone.frame_locator("iframe[title^='メッセージ']")
    expect(messages.get_by_text("父が倒れました")).to_be_visible(timeout=20_000)
    expect(phone.locator("#chat-log")).to_be_hidden()
    expect(console_log.get_by_text("父が倒れました", exact=True)).to_be_visible()

    # Now each tap is posted at once, and the page stays (what is typed elsewhere survives).
    phone.evaluate("() => { window.samePage = true; }")
    phone.get_by_role("button", name=re.compile("^早く来てください")).click()
    expect(console_log.get_by_text("早く来てください", exact=True)).to_be_visible()
    phone.get_by_label("メッセージ").fill("息をしています")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(console_log.get_by_text("息をしています", exact=True)).to_be_visible()
    assert phone.evaluate("() => window.samePage") is True
    expect(phone.locator("#notice[data-undelivered]")).to_have_count(0)

    # The session ends meanwhile (the cookie is gone): a message sent now is refused, so the
    # page asks for a login and comes back to the chat, where the message is still waiting.
    phone.context.clear_cookies()
    phone.get_by_label("メッセージ").fill("聞こえますか")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(phone).to_have_url(re.compile(r"/login\?next="))
    phone.get_by_label(re.compile("ID")).fill(live_server.account("residents")["login"])
    phone.get_by_label("パスワード").fill(live_server.account("residents")["password"])
    phone.get_by_role("button", name="ログイン").click()
    expect(phone.locator(".case-number strong")).to_be_visible()
    expect(console_log.get_by_text("聞こえますか", exact=True)).to_be_visible(timeout=20_000)

    # The dispatcher's reply comes in through the frame, and the screen flashes for it.
    phone.evaluate("() => document.body.classList.remove('flash')")
    console.get_by_label("返信").fill("救急車が向かっています")
    console.get_by_role("button", name=re.compile("^送信")).click()
    expect(messages.get_by_text("救急車が向かっています")).to_be_visible(timeout=15_000)
    expect(phone.locator("body")).to_have_class(re.compile(r"\bflash\b"))

    # The network lets sockets through again: the live chat comes back with everything, once.
    network.refuse_sockets = False
    expect(phone.locator("#chat-log")).to_be_visible(timeout=15_000)
    expect(phone.locator("iframe")).to_have_count(0)
    log = phone.locator("#chat-log")
    for text in ("父が倒れました", "早く来てください", "息をしています", "聞こえますか", "救急車が向かっています"):
        expect(log.locator(".event:not(.event--pending)", has_text=text)).to_have_count(1)
        expect(console_log.get_by_text(text, exact=True)).to_have_count(1)
    phone.get_by_label("メッセージ").fill("ありがとうございます")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(console_log.get_by_text("ありがとうございます", exact=True)).to_be_visible()
    expect(log.locator(".event--mine", has_text="ありがとうございます").locator(".event__state")).to_have_text(
        re.compile("届きました|既読"))


def test_a_console_on_a_network_that_refuses_sockets_still_chats_over_plain_requests(
        live_server, new_context, socket_refusing_network):
    """Offices' networks may pass pages and refuse WebSockets (a proxy). The console's queue
    already fetched itself while its socket was down; a case's chat showed nothing new and its
    replies stayed 送信中. Now it takes the no-JavaScript chat's frame and plain posts, as the
    resident's chat does, and goes live again once a socket gets through."""
    network = socket_refusing_network
    phone = new_context(service_workers="block").new_page()
    case_number = report(phone, live_server, "救急", "自宅")
    console = new_context().new_page()
    log_in(console, network.base_url, live_server.account("dispatchers"), path="/dispatch/login")
    console_log = open_case(console, case_number)

    messages = console.frame_locator("iframe[title^='チャット']")
    expect(console.locator("iframe.chat-frame")).to_be_visible(timeout=20_000)
    expect(messages.get_by_text(re.compile("通報を受信しました"))).to_be_visible()
    expect(console_log).to_be_hidden()
    phone.get_by_label("メッセージ").fill("息が苦しいです")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(messages.get_by_text("息が苦しいです")).to_be_visible(timeout=10_000)

    console.get_by_label("返信").fill("救急車が向かっています")
    console.get_by_role("button", name=re.compile("^送信")).click()
    expect(phone.locator("#chat-log").get_by_text("救急車が向かっています")).to_have_count(1)
    expect(messages.get_by_text("救急車が向かっています")).to_be_visible(timeout=10_000)

    network.refuse_sockets = False
    expect(console_log).to_be_visible(timeout=15_000)
    expect(console.locator("iframe")).to_have_count(0)
    for text in ("息が苦しいです", "救急車が向かっています"):
        expect(console_log.get_by_text(text, exact=True)).to_have_count(1)
    phone.get_by_label("メッセージ").fill("ありがとう")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(console_log.get_by_text("ありがとう", exact=True)).to_be_visible()


# What older phones' browsers lack, emulated on this one before any page script runs.
FORM_DATA_WITHOUT_SUBMITTER = """(() => {  // Safari 15.4-16.3, Chrome before 112
    const Native = window.FormData;
    window.FormData = function (form) { return new Native(form); };
    window.FormData.prototype = Native.prototype;
})()"""
NO_SUBMITTER = """Object.defineProperty(SubmitEvent.prototype, "submitter",
    { get() { return undefined; } })"""  # Safari before 15.4


def older_phone_in_a_live_chat(live_server, new_context, lacking):
    """A phone lacking what ``lacking`` removes, in the live chat of a new fire report; its
    device and the console's chat log of that report."""
    console = open_console(new_context, live_server)
    device = new_context()
    device.add_init_script(lacking)
    phone = device.new_page()
    console_log = open_case(console, report(phone, live_server, "火事", "自宅"))
    expect(phone.locator(".chat[data-live='']")).to_have_count(1)
    return device, phone, console_log


@pytest.mark.parametrize("lacking", [FORM_DATA_WITHOUT_SUBMITTER, NO_SUBMITTER],
                         ids=["form-data-without-submitter", "no-submitter"])
def test_on_older_browsers_a_tapped_phrase_or_answer_arrives_with_its_words(live_server, new_context, lacking):
    _, phone, console_log = older_phone_in_a_live_chat(live_server, new_context, lacking)
    phone.get_by_role("group", name=re.compile("^すぐに送る")).get_by_role(
        "button", name=re.compile("^動けません")).click()
    expect(console_log.get_by_text("動けません", exact=True)).to_be_visible()
    phone.get_by_role("group", name=re.compile("^何が燃えていますか")).get_by_role(
        "button", name=re.compile("^車")).click()
    expect(console_log.locator(".event--answer", has_text="車")).to_be_visible()
    expect(phone.locator("#chat-log .event--mine", has_text="動けません")).to_have_count(1)
    expect(phone.locator("#chat-log .event--answer", has_text="車")).to_have_count(1)


def test_without_submitter_a_tap_stays_in_the_chat_and_waits_out_a_lost_signal(live_server, new_context):
    """Safari before 15.4 runs htmx but cannot say which button submitted a form. A tap
    there went as a plain post: the page left the chat, and without a signal it landed
    on the browser's error page with the tap lost. Now the button last pressed is it."""
    device, phone, console_log = older_phone_in_a_live_chat(live_server, new_context, NO_SUBMITTER)
    phone.evaluate("() => { window.sameChat = true; }")

    device.set_offline(True)
    phone.get_by_role("group", name=re.compile("^すぐに送る")).get_by_role(
        "button", name=re.compile("^動けません")).click()
    phone.get_by_role("group", name=re.compile("^何が燃えていますか")).get_by_role(
        "button", name=re.compile("^車")).click()
    for text in ("動けません", "車"):
        expect(phone.locator("#chat-log .event--pending", has_text=text).get_by_text("送信中")).to_be_visible()
    assert phone.evaluate("() => window.sameChat === true")

    device.set_offline(False)
    expect(console_log.get_by_text("動けません", exact=True)).to_have_count(1)
    expect(console_log.locator(".event--answer", has_text="車")).to_have_count(1)
    expect(phone.locator("#chat-log .event--mine", has_text="動けません").locator(".event__state")).to_have_text(
        re.compile("届きました|既読"))
    expect(phone.locator("#chat-log .event--answer", has_text="車")).to_have_count(1)
    assert phone.evaluate("() => window.sameChat === true")


# What Safari 9 (iOS 9, which the SPEC names) lacks of what the page's own scripts use.
SAFARI_9 = """(() => {
    delete NodeList.prototype.forEach;  // Safari 10
    delete String.prototype.padStart;  // Safari 10
})()"""


def test_on_a_phone_as_old_as_ios_9_the_current_location_goes_with_the_report(live_server, new_context):
    """htmx 2 cannot parse there, so the forms are plain posts; the page's own script
    still takes the fix and fills the form's position fields. It walked them with
    NodeList.forEach, which threw: 外出先 went with no position and nothing said so."""
    console = open_console(new_context, live_server)
    device = new_context(service_workers="block", geolocation=IN_CHITOSE, permissions=["geolocation"])
    device.add_init_script(SAFARI_9)
    device.route(HTMX, too_new_for_this_browser)
    phone = device.new_page()
    log_in(phone, live_server.base_url, live_server.account("residents"))
    phone.get_by_role("button", name=re.compile("^救急")).click()
    expect(phone.locator(".geo-status", has_text=re.compile(r"現在地を取得しました（誤差 約18 m）"))).to_be_visible()
    tap_to_send(phone.get_by_role("button", name=re.compile("^外出先")))
    case_number = phone.locator(".case-number strong").inner_text()
    console.locator("#queue").get_by_role("link", name=re.compile(case_number)).click()
    expect(console.locator("#map")).to_have_attribute("data-lat", "42.82102")

    # The chat is the message frame, and it still flashes for a reply.
    messages = phone.frame_locator("iframe[title^='メッセージ']")
    expect(messages.get_by_text(re.compile("通報を受信しました"))).to_be_visible()
    phone.evaluate("() => document.body.classList.remove('flash')")
    console.get_by_label("返信").fill("救急車が向かっています")
    console.get_by_role("button", name=re.compile("^送信")).click()
    expect(messages.get_by_text("救急車が向かっています")).to_be_visible(timeout=15_000)
    expect(phone.locator("body")).to_have_class(re.compile(r"\bflash\b"))

    # The proxy-call card has its big read-aloud button, not only the small native player.
    phone.get_by_role("link", name=re.compile("^周りの人に見せる")).click()
    expect(phone.get_by_role("button", name=re.compile("^読み上げる"))).to_be_visible()
    expected = re.compile(r"htmx is not defined|SyntaxError|Unexpected token")
    assert all(expected.search(p) for p in new_context.page_problems), new_context.page_problems
    new_context.page_problems.clear()
