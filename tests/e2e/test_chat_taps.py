"""Answering by taps, quick phrases and location updates in a real browser, with and without JavaScript."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import (IN_CHITOSE, assert_accessible, assert_accessible_without_js, assert_log_frame_accessible, log_in,
                       tap_to_send)
from .test_journey import open_console

pytestmark = pytest.mark.e2e

# About 600 m north-east of IN_CHITOSE: far more than the fix's error, so it is news.
MOVED = {"latitude": 42.8262, "longitude": 141.6548, "accuracy": 12}


def report(phone, live_server, kind, place):
    """Log in, tap ``kind`` then ``place``; return the case number."""
    log_in(phone, live_server.base_url, live_server.account("residents"))
    phone.get_by_role("button", name=re.compile("^" + kind)).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^" + place)))
    expect(phone.get_by_text("千歳市消防本部")).to_be_visible()
    return phone.locator(".case-number strong").inner_text()


def open_case(console, case_number):
    console.locator("#queue").get_by_role("link", name=re.compile(case_number)).click()
    expect(console.get_by_text("千歳 太郎（チトセ タロウ）")).to_be_visible()
    return console.locator("#chat-log")


def chips(page, question):
    """The answer group asking ``question``."""
    return page.get_by_role("group", name=re.compile("^" + re.escape(question)))


def test_fire_at_home_answered_entirely_by_taps(live_server, new_context):
    console = open_console(new_context, live_server)
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, live_server, "火事", "自宅")
    console_log = open_case(console, case_number)

    steps = [("何が燃えていますか？", "家"), ("逃げ遅れた人・けが人はいますか？", "いる"),
             ("あなたは安全な場所にいますか？", "はい")]
    for question, answer in steps:
        group = chips(phone, question)
        expect(group).to_be_visible()
        assert_accessible(phone)
        group.get_by_role("button", name=re.compile("^" + answer)).click()
        # The dispatcher sees the answer as it is tapped, under its question.
        expect(console_log.locator(".event--answer", has_text=answer)).to_be_visible()
        expect(phone.locator("#chat-log .event--answer", has_text=answer)
               .get_by_text(re.compile("^(届きました|既読)$"))).to_be_visible()
        expect(group).to_have_count(0)
    expect(phone.locator("#choices form")).to_have_count(0)
    answers = console_log.locator(".event--answer .event__body").all_inner_texts()
    assert answers == ["家", "いる", "はい"]  # each once, in order
    assert_accessible(phone)

    # A reload shows the same chat with no question left to answer.
    phone.reload()
    expect(phone.locator("#chat-log .event--answer")).to_have_count(3)
    expect(phone.locator("#choices form")).to_have_count(0)


def test_ambulance_from_where_i_am_with_location_updates(live_server, new_context):
    console = open_console(new_context, live_server)
    device = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"])
    phone = device.new_page()
    case_number = report(phone, live_server, "救急", "外出先")
    console_log = open_case(console, case_number)

    # The chat sends the fix it has at once, with its accuracy, and shows that it did.
    expect(phone.get_by_text(re.compile(r"現在地を送りました（.*誤差 約18 m）"))).to_be_visible()
    first = console_log.locator(".event--location").first
    expect(first).to_have_attribute("data-lat", "42.82102")
    expect(first).to_contain_text("誤差 約18 m")
    expect(phone.locator("#chat-log .event--location").first).to_be_hidden()
    assert_accessible(phone)

    # Moving far is sent at once (watchPosition), not 30 s later.
    device.set_geolocation(MOVED)
    moved = console_log.locator('.event--location[data-lat="42.8262"]')
    expect(moved).to_have_count(1, timeout=10_000)
    expect(moved).to_contain_text("誤差 約12 m")
    expect(phone.get_by_text(re.compile(r"現在地を送りました（.*誤差 約12 m）"))).to_be_visible()

    # The questions, with age and sex taken from the profile when the patient is the user.
    for question, answer in [("病気ですか？けがですか？", "急病"), ("誰ですか？", "自分"), ("意識はありますか？", "ある"),
                             ("呼吸はしていますか？", "している"), ("ひどい出血はありますか？", "ない")]:
        chips(phone, question).get_by_role("button", name=re.compile("^" + answer)).click()
        expect(console_log.locator(".event--answer", has_text=answer).first).to_be_visible()
    expect(phone.locator("#chat-log").get_by_text("男性（登録情報から）")).to_be_visible()
    expect(console_log.get_by_text("40代（登録情報から）")).to_be_visible()
    expect(phone.locator("#choices form")).to_have_count(0)

    # The console's "send your location again" hook: a fresh fix, sent at once. Counted before the move:
    # watchPosition may send the same fix first, and the server folds the two into one event.
    # (The phone must move: Chromium's emulated geolocation answers maximumAge 0 only with a new position.)
    before = console_log.locator(".event--location").count()
    device.set_geolocation(IN_CHITOSE)
    phone.evaluate("window.NET119.sendFreshLocation()")
    expect(console_log.locator(".event--location")).to_have_count(before + 1)
    expect(console_log.locator(".event--location").last).to_have_attribute("data-lat", "42.82102")
    assert_accessible(phone)


def test_a_fix_from_minutes_ago_is_not_sent_as_where_the_resident_is(live_server, new_context):
    """An installed app resumed from the background (hours later, in another town) still held
    its last fix, and a tap made before the phone found a new one sent the report with it: to
    the HQ of where the resident had been. An old fix is now no fix; the report goes without a
    position (routed as such, and the chat sends the first fresh one)."""
    device = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"])
    phone = device.new_page()
    phone.clock.install()  # time flows as usual until the test moves it on
    log_in(phone, live_server.base_url, live_server.account("residents"))
    expect(phone.locator(".geo-status", has_text=re.compile("現在地を取得しました"))).to_be_visible()

    device.clear_permissions()  # no new fix to be had (indoors, the GPS not back yet)
    phone.clock.fast_forward("03:00")
    posted = []
    phone.on("request", lambda r: posted.append(r.post_data or "")
             if r.method == "POST" and r.url.endswith("/reports") else None)
    phone.get_by_role("button", name=re.compile("^火事")).click()
    expect(phone.get_by_role("button", name=re.compile("^外出先"))).to_be_visible()
    expect(phone.get_by_text(re.compile("現在地を取得しました"))).to_have_count(0)
    # Not "locating": the tries since have failed, and the line says so (and what to do instead).
    expect(phone.locator(".geo-status")).to_have_text(re.compile("現在地を取得できません"))
    tap_to_send(phone.get_by_role("button", name=re.compile("^外出先")))
    expect(phone.locator(".case-number strong")).to_be_visible()
    assert posted and re.search(r"(^|&)lat=(&|$)", posted[0]), posted
    expect(phone.get_by_text(re.compile("位置情報がありません"))).to_be_visible()


def test_quick_phrases_in_one_tap(live_server, new_context):
    console = open_console(new_context, live_server)
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, live_server, "その他", "自宅")
    console_log = open_case(console, case_number)
    phrases = phone.get_by_role("group", name=re.compile("^すぐに送る"))
    assert_accessible(phone)
    phrases.get_by_role("button", name=re.compile("^動けません")).click()
    phrases.get_by_role("button", name=re.compile("^ここにいます")).click()
    expect(console_log.get_by_text("動けません", exact=True)).to_be_visible()
    expect(console_log.get_by_text("ここにいます", exact=True)).to_be_visible()
    sent = phone.locator("#chat-log li", has_text="動けません")
    expect(sent.get_by_text(re.compile("^(届きました|既読)$"))).to_be_visible()
    assert_accessible(phone)

    # A dispatcher's question comes with its own chips and はい / いいえ / わからない.
    console.get_by_label("質問", exact=True).fill("外に出られますか？")
    console.get_by_label(re.compile("^独自の選択肢")).fill("階段で")
    console.get_by_role("button", name="質問を送る").click()
    group = chips(phone, "外に出られますか？")
    expect(group.get_by_role("button")).to_have_count(4)
    assert [b.split()[0] for b in group.get_by_role("button").all_inner_texts()] == ["階段で", "はい", "いいえ", "わからない"]
    assert_accessible(phone)
    group.get_by_role("button", name=re.compile("^わからない")).click()
    expect(console_log.locator(".event--answer", has_text="わからない")).to_be_visible()
    expect(group).to_have_count(0)


def test_without_javascript_questions_are_answered_by_taps(live_server, new_context):
    console = open_console(new_context, live_server)
    phone = new_context(java_script_enabled=False).new_page()
    case_number = report(phone, live_server, "火事", "自宅")
    console_log = open_case(console, case_number)
    messages = phone.frame_locator("iframe[title^='メッセージ']")
    # What needs a script is hidden (static/css/noscript.css); the frame shows the messages.
    expect(phone.locator("#chat-log")).to_be_hidden()

    for question, answer in [("何が燃えていますか？", "草・ゴミ"), ("逃げ遅れた人・けが人はいますか？", "わからない"),
                             ("あなたは安全な場所にいますか？", "いいえ")]:
        group = messages.get_by_role("group", name=re.compile("^" + re.escape(question)))
        expect(group).to_be_visible()
        if answer == "草・ゴミ":
            assert_accessible_without_js(phone, new_context)
            assert_log_frame_accessible(new_context, phone.context,
                                        live_server.base_url + phone.locator("iframe").get_attribute("src"))
        group.get_by_role("button", name=re.compile("^" + answer)).click()
        # The tap loads the whole page (not just the frame), with the answer in the chat.
        expect(phone).to_have_url(re.compile(r"/reports/[\d-]+#choices$"))
        expect(messages.locator(".event--answer", has_text=answer)).to_be_visible()
        expect(console_log.locator(".event--answer", has_text=answer)).to_be_visible()
    expect(messages.locator("form")).to_have_count(0)

    # Quick phrases are plain buttons too.
    phone.get_by_role("button", name=re.compile("^早く来てください")).click()
    expect(console_log.get_by_text("早く来てください", exact=True)).to_be_visible()
    expect(messages.get_by_text("早く来てください", exact=True)).to_be_visible()
    assert console_log.locator(".event--answer").count() == 3
    assert_accessible_without_js(phone, new_context)

    # A dispatcher's question reaches the self-refreshing frame with its chips.
    console.get_by_label("質問", exact=True).fill("窓から出られますか？")
    console.get_by_role("button", name="質問を送る").click()
    group = messages.get_by_role("group", name=re.compile("^窓から出られますか？"))
    expect(group).to_be_visible(timeout=15_000)
    group.get_by_role("button", name=re.compile("^いいえ")).click()
    expect(console_log.locator(".event--answer", has_text="いいえ")).to_have_count(2)  # this and the tree's
    expect(messages.get_by_role("group")).to_have_count(0)


def test_place_first_when_the_hq_asks_for_it(served, new_context):
    server = served()  # its own database: the setting must not reach the other journeys
    admin = new_context().new_page()
    log_in(admin, server.base_url, server.account("admins"), path="/dispatch/login")
    expect(admin).not_to_have_url(re.compile("/login"))
    admin.goto(server.base_url + "/admin/")
    admin.get_by_role("link", name=re.compile("通報ボタンの順番")).click()
    assert_accessible(admin)
    admin.get_by_role("radio", name=re.compile("^場所が先")).check()
    admin.get_by_role("button", name=re.compile("^保存")).click()
    expect(admin.get_by_role("status").filter(has_text="保存しました")).to_be_visible()
    assert_accessible(admin)
    # The question trees: listed, and an edit that would break one is refused, saying why.
    admin.goto(server.base_url + "/admin/questions")
    assert_accessible(admin)
    admin.get_by_role("link", name="火事の質問を編集する").click()
    admin.get_by_label(re.compile("^質問の内容")).fill('{"kind": "fire"}')
    admin.get_by_role("button", name=re.compile("^保存")).click()
    expect(admin.locator(".error-summary")).to_contain_text("質問の内容に誤りがあるため保存していません")
    assert_accessible(admin)

    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    log_in(phone, server.base_url, server.account("residents"))
    expect(phone.get_by_role("heading", name=re.compile("^どこですか？"))).to_be_visible()
    assert phone.get_by_role("button", name=re.compile("^火事")).count() == 0
    assert_accessible(phone)
    phone.get_by_role("button", name=re.compile("^外出先")).click()
    expect(phone.get_by_role("heading", name=re.compile("外出先（現在地）：何がありましたか？"))).to_be_visible()
    expect(phone.locator(".geo-status", has_text=re.compile("現在地を取得しました"))).to_be_visible()
    assert_accessible(phone)
    tap_to_send(phone.get_by_role("button", name=re.compile("^救急")))
    expect(phone.get_by_text("千歳市消防本部")).to_be_visible()
    expect(chips(phone, "病気ですか？けがですか？")).to_be_visible()


def test_an_answer_not_yet_delivered_is_sent_once_and_its_chips_stay_hidden_across_reloads(live_server, new_context):
    console = open_console(new_context, live_server)
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, live_server, "火事", "自宅")
    console_log = open_case(console, case_number)
    # A socket that seems open but reaches nothing (a dead connection), until let through.
    network = {"up": False}
    phone.route_web_socket(re.compile(r"/reports/.+/ws"),
                           lambda ws: ws.connect_to_server() if network["up"] else None)
    phone.reload()
    chips(phone, "何が燃えていますか？").get_by_role("button", name=re.compile("^車")).click()
    pending = phone.locator("#chat-log li.event--pending", has_text="車")
    expect(pending.get_by_text("送信中", exact=True)).to_be_visible()
    expect(chips(phone, "何が燃えていますか？")).to_have_count(0)

    # Reloaded, the page still has the answer waiting, so it does not offer the question again.
    phone.reload()
    expect(pending.get_by_text("送信中", exact=True)).to_be_visible()
    expect(chips(phone, "何が燃えていますか？")).to_have_count(0)
    assert_accessible(phone)

    network["up"] = True
    phone.reload()
    expect(chips(phone, "逃げ遅れた人・けが人はいますか？")).to_be_visible()
    expect(console_log.locator(".event--answer", has_text="車")).to_have_count(1)
    expect(phone.locator("#chat-log .event--answer", has_text="車")).to_have_count(1)
    expect(phone.locator("#chat-log li.event--pending")).to_have_count(0)
    expect(phone.get_by_role("alert").filter(has_text="もう答えています")).to_have_count(0)


def test_the_hqs_news_alerts_the_resident_and_a_close_ends_the_open_chat(live_server, new_context):
    """A status pushed by the HQ came without vibration or flash; a closed report left the
    open page offering to send, and sending the position every 30 s to be refused."""
    console = open_console(new_context, live_server)
    device = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"])
    device.add_init_script("navigator.vibrate = () => { window.vibrated = (window.vibrated || 0) + 1; return true; };")
    phone = device.new_page()
    console_log = open_case(console, report(phone, live_server, "救急", "外出先"))
    expect(console_log.locator(".event--location")).to_have_count(1)

    phone.evaluate("() => { document.body.classList.remove('flash'); window.vibrated = 0; }")
    console.get_by_role("button", name=re.compile("^出動しました")).click()
    expect(phone.locator("#status-banner")).to_contain_text("出動しました")
    expect(phone.locator("body")).to_have_class(re.compile(r"\bflash\b"))
    assert phone.evaluate("() => window.vibrated") >= 1
    # The console's own answer drawn (its buttons redrawn), before the next button is pressed.
    expect(console.get_by_role("button", name=re.compile("^出動しました"))).to_have_attribute("aria-pressed", "true")

    phone.evaluate("() => { document.body.classList.remove('flash'); window.vibrated = 0; }")
    case_url = console.url.split("#")[0]
    console.get_by_role("button", name="この通報を終了する").click()
    expect(phone.locator("#status-banner")).to_contain_text("終了")
    expect(phone.get_by_text("この通報は終了しました。")).to_be_visible()
    expect(phone.locator("body")).to_have_class(re.compile(r"\bflash\b"))
    expect(phone.get_by_label("メッセージ")).to_have_count(0)
    expect(phone.get_by_role("button", name=re.compile("^動けません"))).to_have_count(0)
    expect(phone.locator("[data-location-updates], [data-geo]")).to_have_count(0)
    assert_accessible(phone)
    # Closing takes the console back to its queue: landed there before it opens the case again.
    expect(console).to_have_url(re.compile(r"/dispatch/?$"), timeout=15_000)

    # The phone moves: nothing more is sent (before, every move and every 30 s was).
    device.set_geolocation(MOVED)
    phone.wait_for_timeout(2_000)
    console.goto(case_url)
    expect(console.locator("#chat-log .event--location")).to_have_count(1)
    expect(phone.locator("#notice")).not_to_contain_text("終了しています")
