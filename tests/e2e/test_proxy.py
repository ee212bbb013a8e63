"""The proxy-call card in a real browser: one tap from the start page, read aloud, offline."""
import re
import sqlite3

import pytest
from playwright.sync_api import Error, expect

from .conftest import assert_accessible, assert_accessible_without_js, log_in_resident, tap_to_send

pytestmark = pytest.mark.e2e

PLEA = re.compile("代わりに119番に電話してください")
JA_AUDIO = "#player-ja audio"
# Playback runs faster than real time so a test does not wait out a 12-second card; the
# whole MP3 is still decoded and played to its end.
FAST = 4
SAVED_URLS = "caches.open('net119-resident-v1').then(c => c.keys()).then(keys => keys.map(k => k.url))"


@pytest.fixture(autouse=True)
def no_open_report(live_server):
    """The card without a case names the resident's open report if there is one (SPEC §5).
    The session's server is shared, and reports other files left open would change the card
    with the order the files ran in: each test here starts with none, and opens its own."""
    login = live_server.account("residents")["login"]
    with sqlite3.connect(live_server.data_dir / "net119.sqlite3", timeout=10) as database:
        database.execute("UPDATE report SET status = 'closed', closed_at = CURRENT_TIMESTAMP WHERE status != 'closed'"
                         " AND resident_id = (SELECT id FROM resident WHERE login = ?)", (login,))
    database.close()


def play_to_the_end(page):
    """Tap 「読み上げる」 and wait until the Japanese audio has played to its end."""
    page.evaluate(f"document.querySelector('{JA_AUDIO}').playbackRate = {FAST}")
    page.get_by_role("button", name=re.compile("^読み上げる")).click()
    page.wait_for_function(f"() => document.querySelector('{JA_AUDIO}').ended", timeout=20_000)
    expect(page.get_by_role("status").filter(has_text="読み上げが終わりました")).to_be_visible()


def assert_fits_a_small_phone(page):
    """Very large text for a bystander, and still no sideways scrolling on a 320 px screen."""
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)") >= 32
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size(size)


def test_one_tap_from_the_start_page_opens_the_card_which_reads_aloud(live_server, new_context):
    phone = new_context().new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    phone.get_by_role("link", name=re.compile("周りの人に見せる")).click()

    expect(phone).to_have_url(re.compile(r"/proxy$"))
    expect(phone.get_by_role("heading", level=1, name=PLEA)).to_be_visible()
    expect(phone.get_by_text("北海道千歳市東雲町2丁目34")).to_be_visible()
    expect(phone.get_by_text("千歳 太郎")).to_be_visible()
    # Nothing plays before the tap.
    assert phone.evaluate(f"document.querySelector('{JA_AUDIO}').paused")
    assert_accessible(phone)

    play_to_the_end(phone)
    # The words stay on screen, and one more tap reads them again.
    expect(phone.get_by_role("heading", level=1, name=PLEA)).to_be_visible()
    phone.get_by_role("button", name=re.compile("^読み上げる")).click()
    phone.wait_for_function(f"(a => !a.paused && !a.ended)(document.querySelector('{JA_AUDIO}'))")
    # The resident may hear nothing: the screen says it is reading, and offers to stop.
    expect(phone.get_by_role("status").filter(has_text="日本語で読み上げています")).to_be_visible()
    expect(phone.get_by_role("button", name=re.compile("^止める")).first).to_be_visible()
    assert_accessible(phone)
    phone.get_by_role("button", name=re.compile("^止める")).first.click()
    assert phone.evaluate(f"document.querySelector('{JA_AUDIO}').paused")
    assert_fits_a_small_phone(phone)


def test_the_card_of_an_open_report_shows_kind_and_case_number(live_server, new_context):
    phone = new_context().new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    phone.get_by_role("button", name=re.compile("^救急")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))
    case_number = phone.locator(".case-number strong").inner_text()

    phone.get_by_role("link", name=re.compile("周りの人に見せる")).click()
    expect(phone).to_have_url(re.compile(rf"/proxy\?case={case_number}$"))
    expect(phone.get_by_text(case_number, exact=True)).to_be_visible()
    expect(phone.get_by_text("救急", exact=False).first).to_be_visible()
    assert_accessible(phone)
    assert_fits_a_small_phone(phone)
    play_to_the_end(phone)
    phone.get_by_role("link", name="チャットに戻る").click()
    expect(phone).to_have_url(re.compile(rf"/reports/{case_number}$"))


def test_the_card_works_with_no_network_once_saved(live_server, new_context):
    context = new_context()
    phone = context.new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    phone.evaluate("navigator.serviceWorker.ready.then(() => true)")
    # The worker says when the card, its audio and its styles are saved.
    phone.wait_for_function("() => document.documentElement.dataset.cardSaved === 'yes'", timeout=30_000)
    phone.get_by_role("link", name=re.compile("周りの人に見せる")).click()
    expect(phone.get_by_role("heading", level=1, name=PLEA)).to_be_visible()
    assert phone.evaluate("navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    assert phone.evaluate("fetch('/healthz').then(() => 'reached', () => 'unreachable')") == "unreachable"
    phone.reload()
    expect(phone.get_by_role("heading", level=1, name=PLEA)).to_be_visible()
    expect(phone.get_by_text("通信できないため、この端末に保存したカードを表示しています。")).to_be_visible()
    expect(phone.get_by_text("北海道千歳市東雲町2丁目34")).to_be_visible()
    # Styled from the cache too: the plea is still very large.
    assert phone.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)") >= 32
    assert_accessible(phone)
    play_to_the_end(phone)

    # A card that cannot be known offline (a place here and now) falls back to the card
    # without a place, which was saved with its audio as well.
    phone.goto(live_server.base_url + "/proxy?place=here&landmark=%E9%A7%85")
    expect(phone.get_by_text("この近くです。今いる場所を119番に伝えてください。")).to_be_visible()
    play_to_the_end(phone)


def test_logging_out_forgets_the_saved_card(live_server, new_context):
    context = new_context()
    phone = context.new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    phone.wait_for_function("() => document.documentElement.dataset.cardSaved === 'yes'", timeout=30_000)
    assert phone.evaluate(SAVED_URLS)

    phone.get_by_role("button", name="この端末からログアウト").click()
    expect(phone.get_by_role("button", name="ログイン")).to_be_visible()
    phone.wait_for_function("() => document.documentElement.dataset.cardSaved === 'no'")
    assert phone.evaluate(SAVED_URLS) == []
    context.set_offline(True)
    with pytest.raises(Error):
        phone.goto(live_server.base_url + "/proxy")


def test_without_audio_the_device_reads_the_same_words(live_server, new_context):
    # No service worker and no audio: the browser's own voice must read the card.
    context = new_context(service_workers="block")
    context.route(re.compile(r"/proxy/audio/"), lambda route: route.abort())
    context.add_init_script("""
        window.spoken = [];
        window.speechSynthesis.speak = function (utterance) {
          window.spoken.push({text: utterance.text, lang: utterance.lang});
          utterance.onstart && utterance.onstart();
          setTimeout(function () { utterance.onend && utterance.onend(); }, 50);
        };
    """)
    phone = context.new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    phone.goto(live_server.base_url + "/proxy?place=home")
    phone.get_by_role("button", name=re.compile("^読み上げる")).click()
    expect(phone.get_by_role("status").filter(has_text="読み上げが終わりました")).to_be_visible()
    spoken = phone.evaluate("window.spoken")
    assert spoken == [{"text": phone.locator("#player-ja").get_attribute("data-text"), "lang": "ja-JP"}]
    assert "場所は北海道千歳市東雲町2丁目34です。" in spoken[0]["text"]
    assert_accessible(phone)


def test_the_card_without_javascript(live_server, new_context):
    phone = new_context(java_script_enabled=False).new_page()
    phone.goto(live_server.base_url + "/login")
    phone.get_by_label(re.compile("ID")).fill(live_server.account("residents")["login"])
    phone.get_by_label("パスワード").fill(live_server.account("residents")["password"])
    phone.get_by_role("button", name="ログイン").click()
    phone.get_by_role("link", name=re.compile("周りの人に見せる")).click()

    expect(phone.get_by_role("heading", level=1, name=PLEA)).to_be_visible()
    # The native player, since there is no script to drive a button.
    expect(phone.locator(JA_AUDIO)).to_be_visible()
    assert phone.locator(JA_AUDIO).get_attribute("controls") is not None
    expect(phone.get_by_role("button", name=re.compile("^読み上げる"))).to_be_hidden()
    assert_accessible_without_js(phone, new_context)

    # A typed landmark puts the place here and now on the card.
    phone.get_by_label("今いる場所の目印（任意）").fill("千歳駅の東口")
    phone.get_by_role("button", name=re.compile("今いる場所をカードに出す")).click()
    expect(phone.locator(".proxy-fact__value").filter(has_text="千歳駅の東口")).to_be_visible()
    assert_accessible_without_js(phone, new_context)


def test_where_i_am_now_waits_for_the_position_when_the_browser_cannot_say_it_is_allowed(live_server, new_context):
    """iOS Safari has no Permissions API, so the card asks for the position only when the form is
    used: a tap straight on the button must wait for that position, not show the card without it."""
    context = new_context(geolocation={"latitude": 42.82793, "longitude": 141.65214, "accuracy": 20},
                          permissions=["geolocation"])
    context.add_init_script("if (self.Navigator) Object.defineProperty(Navigator.prototype, 'permissions', {get: () => undefined})")
    phone = context.new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    phone.get_by_role("link", name=re.compile("周りの人に見せる")).click()
    phone.get_by_role("button", name=re.compile("今いる場所をカードに出す")).click()
    expect(phone).to_have_url(re.compile(r"lat=42\.82793"))
    expect(phone.locator(".proxy-fact__value").filter(has_text="北緯42.82793")).to_be_visible()


def test_the_focus_stays_on_the_player_when_its_stop_button_goes_away(live_server, new_context):
    """「止める」 hides itself when the reading stops or ends. A keyboard or switch user who had
    tapped it must not be thrown back to the top of the page, far from the card's buttons."""
    phone = new_context().new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    phone.goto(live_server.base_url + "/proxy?place=home")
    play = phone.get_by_role("button", name=re.compile("^読み上げる"))
    play.focus()
    phone.keyboard.press("Enter")
    phone.wait_for_function(f"(a => !a.paused && !a.ended)(document.querySelector('{JA_AUDIO}'))")
    stop = phone.locator("#player-ja").get_by_role("button", name=re.compile("^止める"))
    stop.focus()
    phone.keyboard.press("Enter")
    expect(stop).to_be_hidden()
    expect(play).to_be_focused()

    # Played to its end with the focus on 「止める」: the same.
    phone.evaluate(f"document.querySelector('{JA_AUDIO}').playbackRate = {FAST}")
    play.click()
    phone.wait_for_function(f"(a => !a.paused && !a.ended)(document.querySelector('{JA_AUDIO}'))")
    stop.focus()
    phone.wait_for_function(f"() => document.querySelector('{JA_AUDIO}').ended", timeout=20_000)
    expect(stop).to_be_hidden()
    expect(play).to_be_focused()


def test_a_voice_that_never_starts_is_said_on_screen(live_server, new_context):
    """The resident cannot hear whether the phone is reading. Server audio that never arrives
    (a stalled connection) gives way to the device's voice; a device voice that never starts
    (no Japanese voice installed) says so on screen instead of leaving the tap unanswered."""
    context = new_context(service_workers="block")
    context.route(re.compile(r"/proxy/audio/"), lambda route: None)  # never answered
    context.add_init_script("""
        window.spoken = [];
        window.speechSynthesis.speak = function (utterance) {
          window.spoken.push({text: utterance.text, lang: utterance.lang});
        };
    """)
    phone = context.new_page()
    phone.clock.install()  # time flows as usual until the test moves it on past each 6 s wait
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    phone.goto(live_server.base_url + "/proxy?place=home")
    phone.get_by_role("button", name=re.compile("^読み上げる")).click()
    status = phone.locator("#player-ja").get_by_role("status")
    expect(status).to_contain_text("読み上げの準備をしています")
    phone.clock.fast_forward("00:07")  # the audio has not started: the device's voice is asked
    phone.wait_for_function("window.spoken.length === 1")
    phone.clock.fast_forward("00:07")  # nor has the device's voice
    expect(status).to_contain_text("読み上げられませんでした。画面を見せてください。")
    assert phone.evaluate("window.spoken") == [
        {"text": phone.locator("#player-ja").get_attribute("data-text"), "lang": "ja-JP"}]
    assert phone.evaluate(f"document.querySelector('{JA_AUDIO}').paused")
    expect(phone.locator("#player-ja").get_by_role("button", name=re.compile("^止める"))).to_be_hidden()
    assert_accessible(phone)


def test_the_position_status_says_which_words_are_english(live_server, new_context):
    """The position line is Japanese with an English half: unmarked, a screen reader reads the
    English with the Japanese voice (and on an English page, the Japanese with the English one)."""
    context = new_context(geolocation={"latitude": 42.82793, "longitude": 141.65214, "accuracy": 20},
                          permissions=["geolocation"])
    phone = context.new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    phone.goto(live_server.base_url + "/proxy?place=home")
    status = phone.locator('[data-proxy-geo="status"]')
    expect(status).to_contain_text("現在地を取得しました（誤差 約20 m）")
    assert status.get_attribute("lang") == "ja"
    expect(status.locator('[lang="en"]')).to_have_text("Found where you are (within about 20 m)")
    assert "Found" not in phone.evaluate("""() => Array.from(document.querySelector('[data-proxy-geo="status"]')
        .childNodes).filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join('')""")
