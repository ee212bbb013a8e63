"""A whole practice report in a real browser: the banner on every screen, answers by tapping, a review."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import IN_CHITOSE, assert_accessible, assert_accessible_without_js, log_in, tap_to_send

pytestmark = pytest.mark.e2e


def expect_practice_screen(page, banner="練習中", title="練習中："):
    """The practice banner is in view and announced, and the title says so too."""
    status = page.get_by_role("status").filter(has_text=banner)
    expect(status).to_be_visible()
    expect(status).to_be_in_viewport()
    expect(page).to_have_title(re.compile("^" + re.escape(title)))


def test_a_whole_practice_report_with_javascript(live_server, new_context):
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    log_in(phone, live_server.base_url, live_server.account("residents"))
    phone.get_by_role("link", name="通報の練習をする").click()
    expect_practice_screen(phone)
    assert_accessible(phone)

    phone.get_by_role("button", name=re.compile("^救急")).click()
    expect_practice_screen(phone)
    expect(phone.locator(".geo-status", has_text=re.compile("現在地を取得しました"))).to_be_visible()
    assert_accessible(phone)
    tap_to_send(phone.get_by_role("button", name=re.compile("^外出先")))

    expect(phone.get_by_text("練習用の自動指令員です", exact=False)).to_be_visible()
    expect_practice_screen(phone)
    assert re.fullmatch(r"P-[0-9A-F]{6}", phone.locator(".case-number strong").inner_text())
    assert_accessible(phone)

    # Typed text reaches the practice dispatcher over the socket and is answered live.
    phone.get_by_label("メッセージ").fill("コンビニの前です")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(phone.get_by_text("場所の情報を受け取りました。ありがとうございます。")).to_be_visible()
    mine = phone.locator("#chat-log li", has_text="コンビニの前です")
    expect(mine.get_by_text("既読")).to_be_visible()

    for question, answer in [("病気ですか？けがですか？", "急病"), ("誰ですか？", "家族"), ("意識はありますか？", "ある"),
                             ("呼吸はしていますか？", "している"), ("ひどい出血はありますか？", "ない")]:
        expect(phone.locator("#chat-log").get_by_text(question).last).to_be_visible()
        phone.locator("#practice-choices").get_by_role("button", name=answer, exact=True).click()
        expect_practice_screen(phone)
    expect(phone.get_by_role("status").filter(has_text="到着予定")).to_be_visible()
    assert_accessible(phone)
    phone.locator("#practice-choices").get_by_role("button", name="伝えることはない").click()

    expect(phone.get_by_role("status").filter(has_text="到着しました")).to_be_visible()
    expect(phone.get_by_text(re.compile("よくできたこと"))).to_be_visible()
    expect_practice_screen(phone)
    assert_accessible(phone)

    # The proxy-call card opened from practice is marked as practice as well.
    phone.get_by_role("link", name=re.compile("周りの人に見せる")).click()
    expect_practice_screen(phone)
    assert_accessible(phone)

    # Back in the real app, the start page says when this resident last practised.
    phone.goto(live_server.base_url + "/")
    expect(phone.get_by_text(re.compile("最後に練習した日"))).to_be_visible()
    expect(phone.get_by_role("status").filter(has_text="練習中")).to_have_count(0)


def test_practice_without_javascript(live_server, new_context):
    phone = new_context(java_script_enabled=False).new_page()
    log_in(phone, live_server.base_url, live_server.account("residents"))
    phone.goto(live_server.base_url + "/practice")
    expect_practice_screen(phone)
    phone.get_by_role("button", name=re.compile("^火事")).click()
    expect_practice_screen(phone)
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))
    expect_practice_screen(phone)
    assert_accessible_without_js(phone, new_context)
    messages = phone.frame_locator("iframe[title^='メッセージ']")
    expect(messages.get_by_text("何が燃えていますか？")).to_be_visible()
    for answer in ["家", "いない", "はい"]:
        phone.locator("#practice-choices").get_by_role("button", name=answer, exact=True).click()
        expect_practice_screen(phone)
    phone.get_by_label("メッセージ").fill("二階の窓から煙が出ています")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(messages.get_by_text(re.compile("よくできたこと"))).to_be_visible()
    expect(phone.get_by_text("この練習は終了しました。")).to_be_visible()
    assert_accessible_without_js(phone, new_context)
