"""The walking skeleton in a real browser: report, reply, reply back — with and without JavaScript."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import (IN_CHITOSE, assert_accessible, assert_accessible_without_js,
                       assert_log_frame_accessible, log_in, tap_to_send)

pytestmark = pytest.mark.e2e


def open_console(new_context, live_server):
    console = new_context().new_page()
    log_in(console, live_server.base_url, live_server.account("dispatchers"), path="/dispatch/login")
    expect(console.get_by_role("heading", name=re.compile("受信中の通報"))).to_be_visible()
    return console


def test_report_reply_and_reply_back_with_javascript(live_server, new_context):
    console = open_console(new_context, live_server)
    assert_accessible(console)

    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    phone.goto(live_server.base_url + "/")
    expect(phone).to_have_url(re.compile("/login"))
    assert_accessible(phone)
    log_in(phone, live_server.base_url, live_server.account("residents"))

    expect(phone.get_by_role("button", name=re.compile("^火事"))).to_be_visible()
    assert_accessible(phone)
    phone.get_by_role("button", name=re.compile("^火事")).click()
    expect(phone.locator(".geo-status", has_text=re.compile("現在地を取得しました"))).to_be_visible()
    assert_accessible(phone)
    tap_to_send(phone.get_by_role("button", name=re.compile("^外出先")))

    expect(phone.get_by_text("千歳市消防本部")).to_be_visible()
    case_number = phone.locator(".case-number strong").inner_text()
    assert re.fullmatch(r"\d{6}-\d{4}", case_number)
    assert_accessible(phone)

    # The console shows the new report without a reload, with the alarm.
    queue_item = console.locator("#queue").get_by_role("link", name=re.compile(case_number))
    expect(queue_item).to_be_visible()
    expect(console.get_by_role("alert").filter(has_text="新しい通報があります")).to_be_visible()
    queue_item.click()
    expect(console.get_by_text("千歳 太郎（チトセ タロウ）")).to_be_visible()
    expect(console.get_by_text(re.compile("千歳市（01224）"))).to_be_visible()
    expect(console.get_by_text(re.compile("北緯 42.821")).first).to_be_visible()  # the report, maybe its latest fix too
    expect(console.get_by_role("img", name="Marker")).to_be_visible()  # Leaflet drew the map
    assert_accessible(console)

    # Resident -> dispatcher, live, with the delivery state on the phone.
    phone.get_by_label("メッセージ").fill("台所から火が出ています")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    sent = phone.locator("#chat-log li", has_text="台所から火が出ています")
    # 届きました, or already 既読: the console has this case open and reads it at once.
    expect(sent.get_by_text(re.compile("^(届きました|既読)$"))).to_be_visible()
    expect(console.locator("#chat-log").get_by_text("台所から火が出ています")).to_be_visible()

    # Dispatcher -> resident, live, and back again.
    console.get_by_label("返信").fill("消防車が向かっています。外に出られますか？")
    console.get_by_role("button", name=re.compile("^送信")).click()
    expect(phone.locator("#chat-log").get_by_text("消防車が向かっています。外に出られますか？")).to_be_visible()
    phone.get_by_label("メッセージ").fill("はい、外にいます")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(console.locator("#chat-log").get_by_text("はい、外にいます")).to_be_visible()
    assert_accessible(phone)
    assert_accessible(console)


def test_report_reply_and_reply_back_without_javascript(live_server, new_context):
    console = open_console(new_context, live_server)
    phone = new_context(java_script_enabled=False).new_page()
    phone.goto(live_server.base_url + "/")
    assert_accessible_without_js(phone, new_context)
    log_in(phone, live_server.base_url, live_server.account("residents"))

    phone.get_by_role("button", name=re.compile("^救急")).click()
    # Playwright's text matchers skip <noscript>, which a no-JS browser does show; innerText does not.
    assert "現在地は送られません" in phone.locator(".choices--place .geo-status").inner_text()
    assert_accessible_without_js(phone, new_context)
    phone.get_by_role("button", name=re.compile("^自宅")).click()

    expect(phone.get_by_text("千歳市消防本部")).to_be_visible()
    case_number = phone.locator(".case-number strong").inner_text()
    assert_accessible_without_js(phone, new_context)
    messages = phone.frame_locator("iframe[title^='メッセージ']")
    expect(messages.get_by_text(re.compile("通報を受信しました"))).to_be_visible()

    console.locator("#queue").get_by_role("link", name=re.compile(case_number)).click()
    expect(console.get_by_text("自宅：北海道千歳市東雲町2丁目34")).to_be_visible()

    # A plain form post; what was typed is kept until it is sent.
    phone.get_by_label("メッセージ").fill("父が倒れて動きません")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(console.locator("#chat-log").get_by_text("父が倒れて動きません")).to_be_visible()
    expect(messages.get_by_text("父が倒れて動きません")).to_be_visible()

    # The dispatcher's reply reaches the phone through the self-refreshing frame,
    # while a half-typed message in the form stays as it is.
    phone.get_by_label("メッセージ").fill("意識は")
    console.get_by_label("返信").fill("救急車が向かっています。呼吸はしていますか？")
    console.get_by_role("button", name=re.compile("^送信")).click()
    expect(messages.get_by_text("救急車が向かっています。呼吸はしていますか？")).to_be_visible(timeout=15_000)
    expect(phone.get_by_label("メッセージ")).to_have_value("意識は")
    phone.get_by_label("メッセージ").fill("しています")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(console.locator("#chat-log").get_by_text("しています", exact=True)).to_be_visible()

    frame_url = phone.locator("iframe").get_attribute("src")
    assert_log_frame_accessible(new_context, phone.context, live_server.base_url + frame_url)
