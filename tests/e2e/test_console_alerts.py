"""The console's alarms in a real browser: a report is never missed because the queue's socket was
down, the alarm sound is never off without the dispatcher being told, a lost connection is shown,
and the keys do only what the dispatcher meant."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import IN_CHITOSE, assert_accessible, log_in
from .test_chat_taps import open_case, report
from .test_console import queue_item
from .test_journey import open_console
from .test_realtime import send

pytestmark = pytest.mark.e2e

# The browser's audio output, as the page sees it: what would have been heard (``__heard``) and what
# was played into a context that was not running (``__silent``). Chromium here runs every context
# at once, whatever its autoplay policy; a desktop Chrome or Safari opened without a gesture (a
# reload) keeps a new one suspended until the user presses something, as this one does.
SOUND = """(() => {
  const heard = window.__heard = [], silent = window.__silent = [];
  class AudioContextStandIn extends EventTarget {
    constructor() { super(); this.state = %r; this.currentTime = 0; this.destination = {}; this.onstatechange = null; }
    resume() {
      if (this.state !== "running" && navigator.userActivation.isActive) {
        this.state = "running";
        const event = new Event("statechange");
        this.dispatchEvent(event);
        if (this.onstatechange) this.onstatechange(event);
      }
      return Promise.resolve();
    }
    createOscillator() {
      const context = this;
      return { frequency: { value: 0 }, connect() {}, stop() {},
               start() { (context.state === "running" ? heard : silent).push(Date.now()); } };
    }
  }
  window.AudioContext = AudioContextStandIn;
  delete window.webkitAudioContext;
})();"""


class ConsoleLine:
    """The console's network through a switch. Down, its queue socket is cut and every new one
    refused (1006: closed without a closing handshake, all a browser sees then), and, unless
    ``sockets_only``, its requests fail as well, as when the network drops."""

    def __init__(self, page):
        self.up, self.sockets_only, self.routes = True, False, []
        page.route_web_socket(re.compile(r"/dispatch/ws$"), self._connect)
        page.route("**/*", self._request)

    def _connect(self, ws):
        if not self.up:
            ws.close(code=1006)
            return
        ws.connect_to_server()
        self.routes.append(ws)

    def _request(self, route):
        if self.up or self.sockets_only:
            route.fallback()
        else:
            route.abort("internetdisconnected")

    def drop(self, sockets_only=False):
        self.up, self.sockets_only = False, sockets_only
        for ws in self.routes:
            ws.close(code=1006)
        self.routes.clear()

    def restore(self):
        self.up = True


def alarmed_console(new_context, server, sound="running"):
    """A dispatcher's console whose sound starts ``sound``, and the switch on its network."""
    context = new_context()
    context.add_init_script(SOUND % sound)
    page = context.new_page()
    line = ConsoleLine(page)
    log_in(page, server.base_url, server.account("dispatchers"), path="/dispatch/login")
    expect(page.get_by_role("heading", name=re.compile("受信中の通報"))).to_be_visible()
    wait_until_connected(page)
    return page, line


def wait_until_connected(page):
    page.wait_for_function("""() => { const queue = document.querySelector(".queue-socket");
        return !!queue && !!queue._net119 && !queue.hasAttribute("data-offline"); }""")


def quieten(page):
    """Forget the flashes and tones so far: what follows is what the next step raised."""
    page.evaluate("() => { document.body.classList.remove('flash'); window.__heard.length = 0; }")


def expect_alarm(page):
    expect(page.locator("body")).to_have_class(re.compile(r"\bflash\b"))
    page.wait_for_function("() => window.__heard.length > 0")


def test_a_report_made_while_the_queue_socket_was_down_raises_the_alarm_once_it_is_back(live_server, new_context):
    console, line = alarmed_console(new_context, live_server)
    line.drop()
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, live_server, "救急", "自宅")
    expect(queue_item(console, case_number)).to_have_count(0)  # nothing could tell the console yet
    quieten(console)

    line.restore()
    expect(queue_item(console, case_number)).to_be_visible(timeout=15_000)
    expect_alarm(console)
    expect(console.get_by_role("alert").filter(has_text="新しい通報があります")).to_be_visible()
    expect(queue_item(console, case_number)).to_contain_text("未確認")
    assert_accessible(console)

    # Alarmed once in this tab: the same queue drawn again (a reload) raises nothing new.
    quieten(console)
    console.reload()
    expect(queue_item(console, case_number)).to_be_visible()
    console.wait_for_timeout(1500)
    expect(console.locator("body")).not_to_have_class(re.compile(r"\bflash\b"))


def test_a_message_while_the_queue_socket_was_down_raises_the_alarm_once_it_is_back(live_server, new_context):
    console, line = alarmed_console(new_context, live_server)
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, live_server, "火事", "自宅")
    open_case(console, case_number)
    console.get_by_role("link", name=re.compile("^NET119")).click()  # back to the queue
    expect(queue_item(console, case_number)).not_to_contain_text("未確認")
    wait_until_connected(console)

    line.drop()
    send(phone, "メッセージ", "二階に取り残されています")
    expect(phone.locator("#chat-log li", has_text="二階に取り残されています")
           .get_by_text(re.compile("^(届きました|既読)$"))).to_be_visible()
    quieten(console)
    line.restore()
    expect(queue_item(console, case_number)).to_contain_text("未読 1件", timeout=15_000)
    expect_alarm(console)


def test_a_console_whose_alarm_sound_is_off_says_so_until_a_press_turns_it_on(live_server, new_context):
    console, _ = alarmed_console(new_context, live_server, sound="suspended")
    console.reload()  # no gesture on this page yet: the browser keeps its sound off
    sound_off = console.get_by_role("button", name=re.compile("^警報音が鳴りません。ここを押して音を有効にしてください。"))
    expect(sound_off).to_be_visible()
    expect(console.get_by_role("alert").filter(has=sound_off)).to_contain_text("Alarm sound is off")
    assert_accessible(console)
    sound_off.click()
    expect(sound_off).to_have_count(0)
    console.wait_for_function("() => window.__heard.length > 0")  # a tone says it is on


def test_while_a_report_is_unopened_the_tone_repeats_and_the_title_says_so(served, new_context):
    server = served()  # a queue of its own: nothing unopened but this test's report
    console, _ = alarmed_console(new_context, server)
    assert not console.title().startswith("【新着】")
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, server, "火事", "自宅")
    expect(console).to_have_title(re.compile("^【新着】受信中の通報"))
    console.wait_for_function("() => window.__heard.length >= 3", timeout=15_000)  # the alarm, then again and again

    colleague, _ = alarmed_console(new_context, server)
    open_case(colleague, case_number)
    expect(console).to_have_title(re.compile("^受信中の通報"))
    heard = console.evaluate("window.__heard.length")
    console.wait_for_timeout(7_000)
    assert console.evaluate("window.__heard.length") == heard


LOST = "接続が切れています。新しい通報が届かないおそれがあります。再接続しています…"


def test_the_console_says_when_its_connection_is_lost_and_when_it_is_back(live_server, new_context):
    console, line = alarmed_console(new_context, live_server)
    lost = console.get_by_role("alert").filter(has_text=LOST)
    # A socket that is closed, and refused while the network is down.
    line.drop()
    expect(lost).to_be_visible(timeout=10_000)
    expect(lost).to_contain_text("Reconnecting")
    assert_accessible(console)
    line.restore()
    expect(lost).to_have_count(0, timeout=10_000)

    # A network gone quiet: nothing closes, nothing arrives.
    console.context.set_offline(True)
    expect(lost).to_be_visible(timeout=15_000)
    console.context.set_offline(False)
    expect(lost).to_have_count(0, timeout=15_000)
    wait_until_connected(console)


def test_a_console_whose_socket_cannot_get_through_still_gets_new_reports_and_their_alarm(live_server, new_context):
    console, line = alarmed_console(new_context, live_server)
    line.drop(sockets_only=True)  # as behind a proxy that passes pages but not WebSockets
    lost = console.get_by_role("alert").filter(has_text=LOST)
    expect(lost).to_be_visible(timeout=10_000)
    quieten(console)
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, live_server, "救急", "自宅")
    expect(queue_item(console, case_number)).to_be_visible(timeout=15_000)
    expect_alarm(console)
    expect(lost).to_be_visible()  # the socket is still down: fetched every few seconds is not live


def test_a_console_whose_session_has_ended_shows_the_login(live_server, new_context):
    console, _ = alarmed_console(new_context, live_server)
    # Gone without a word on the socket (a server restarted meanwhile, say): each new socket is refused.
    console.context.clear_cookies()
    console.evaluate("document.querySelector('.queue-socket')['htmx-internal-data'].webSocket.socket.close()")
    expect(console.get_by_role("button", name="ログイン")).to_be_visible(timeout=20_000)


def test_a_reply_not_yet_delivered_tells_the_dispatcher_what_to_do_not_the_resident(live_server, new_context):
    console = open_console(new_context, live_server)
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, live_server, "火事", "自宅")
    open_case(console, case_number)
    console.context.set_offline(True)
    send(console, "返信", "消防車が向かっています")
    notice = console.get_by_role("alert").filter(has_text="メッセージがまだ届いていません")
    expect(notice).to_be_visible(timeout=12_000)
    expect(notice).to_contain_text("接続を確認してください。届くまで送り直します。")
    expect(notice).to_contain_text("Your message has not been delivered yet")
    expect(notice).not_to_contain_text("FAX")  # the resident's other ways are no use to a dispatcher
    assert_accessible(console)
    console.context.set_offline(False)
    expect(phone.locator("#chat-log").get_by_text("消防車が向かっています")).to_be_visible(timeout=20_000)
    expect(notice).to_have_count(0)


def test_a_held_key_sends_its_phrase_once(live_server, new_context):
    console = open_console(new_context, live_server)
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    console_log = open_case(console, report(phone, live_server, "火事", "自宅"))
    console.locator("h1").click()
    for _ in range(8):  # held down: the keyboard repeats it
        console.keyboard.down("2")
    console.keyboard.up("2")
    expect(phone.locator("#chat-log").get_by_text("消防車が向かっています。")).to_have_count(1)
    console.wait_for_timeout(1500)
    expect(console_log.get_by_text("消防車が向かっています。")).to_have_count(1)
    expect(phone.locator("#chat-log").get_by_text("消防車が向かっています。")).to_have_count(1)


def test_a_status_key_asks_to_be_pressed_again_before_it_tells_the_resident(live_server, new_context):
    console = open_console(new_context, live_server)
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    open_case(console, report(phone, live_server, "救急", "自宅"))
    banner = phone.locator("#status-banner")
    console.locator("h1").click()
    console.keyboard.press("a")
    asked = console.get_by_role("alert").filter(has_text="もう一度 A を押すと")
    expect(asked).to_contain_text("「到着しました」")
    assert_accessible(console)
    console.keyboard.press("x")  # any other key lets it go
    expect(asked).to_have_count(0)
    console.wait_for_timeout(1000)
    expect(banner).not_to_contain_text("到着しました")

    console.keyboard.press("a")
    console.keyboard.press("a")
    expect(banner).to_contain_text("到着しました")
    expect(console.get_by_role("button", name=re.compile("^到着しました"))).to_have_attribute("aria-pressed", "true")
    expect(asked).to_have_count(0)
