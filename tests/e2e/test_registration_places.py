"""In a real browser: the HQ from the device's position, frequent places on a map or as text, the login back-off."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, assert_accessible_without_js
from .test_registration import fill_application

pytestmark = pytest.mark.e2e

ENIWA = {"latitude": 42.8826, "longitude": 141.5775}
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082")


def no_outside_tiles(context):
    """Map tiles come from outside, which tests cannot reach: answer them with a blank tile."""
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1)"),
                  lambda route: route.fulfill(body=PNG, content_type="image/png"))


def open_application(page, base_url, email):
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_role("button", name="リンクを送る").click()
    expect(page.get_by_role("heading", name=re.compile("メールを確認してください"))).to_be_visible()
    page.goto(base_url + "/register/mailbox")
    # The first link: the mail's English part repeats it.
    page.locator("article", has_text=email).first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name=re.compile("登録申請書"))).to_be_visible()


def test_position_chooses_the_hq_and_a_place_is_picked_on_the_map(live_server, new_context):
    context = new_context(geolocation=ENIWA, permissions=["geolocation"])
    no_outside_tiles(context)
    page = context.new_page()
    page.goto(live_server.base_url + "/register/")
    hq = page.get_by_label("申請する消防本部")
    expect(hq).to_have_value("")

    page.get_by_role("button", name=re.compile("現在地から消防本部を選ぶ")).click()

    expect(page.get_by_label("申請する消防本部")).to_have_value("eniwa")
    expect(page.get_by_role("status")).to_contain_text("恵庭市消防本部")
    assert_accessible(page)
    open_application(page, live_server.base_url, "e2e-map@example.jp")
    expect(page.get_by_role("heading", name=re.compile("恵庭市消防本部"))).to_be_visible()

    fill_application(page, "恵庭 一子", "エニワ イチコ")
    page.get_by_label("よく行く場所1の緯度（任意）").fill("42.82868")
    page.get_by_label("よく行く場所1の経度（任意）").fill("141.65234")
    picker = page.get_by_role("button", name="よく行く場所1を地図で選ぶ")
    picker.click()
    expect(picker).to_have_attribute("aria-expanded", "true")
    the_map = page.locator("#place1-map-figure .leaflet-container")
    expect(the_map.locator(".leaflet-marker-icon")).to_be_visible()
    assert_accessible(page)

    # A tap 60 px east of the typed point (zoom 16: about 0.0016° of longitude) moves it there.
    box = the_map.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2)
    lon = page.get_by_label("よく行く場所1の経度（任意）")
    expect(lon).not_to_have_value("141.65234")
    assert 141.6527 < float(lon.input_value()) < 141.6560
    assert abs(float(page.get_by_label("よく行く場所1の緯度（任意）").input_value()) - 42.82868) < 0.0003
    expect(page.locator(".map-picker__status").first).to_contain_text("経度 " + lon.input_value())

    page.get_by_role("button", name="申請する").click()
    expect(page.get_by_role("heading", name=re.compile("申請を受け付けました"))).to_be_visible()


def test_without_javascript_the_list_and_typed_coordinates_do_it_all(live_server, new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(live_server.base_url + "/register/")
    expect(page.get_by_role("button", name=re.compile("現在地から"))).to_be_hidden()
    page.get_by_label("申請する消防本部").select_option(label="千歳市消防本部")
    open_application(page, live_server.base_url, "e2e-nojs-place@example.jp")
    expect(page.get_by_role("button", name=re.compile("地図で選ぶ"))).to_have_count(0)

    fill_application(page, "千歳 四郎", "チトセ シロウ")
    page.get_by_label("よく行く場所1の緯度（任意）").fill("42.82868")
    page.get_by_role("button", name="申請する").click()
    expect(page).to_have_title(re.compile("^エラー："))
    page.get_by_role("alert").get_by_role("link", name=re.compile("緯度と経度は両方入力してください")).click()
    expect(page.get_by_label("よく行く場所1の経度（任意）")).to_be_focused()
    assert_accessible_without_js(page, new_context)

    page.get_by_label("よく行く場所1の経度（任意）").fill("141.65234")
    page.get_by_role("button", name="申請する").click()
    expect(page.get_by_role("heading", name=re.compile("申請を受け付けました"))).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_repeated_failed_logins_are_told_to_wait(live_server, new_context, javascript):
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto(live_server.base_url + "/login")
    login = f"e2e-nobody-{'js' if javascript else 'nojs'}"
    for _ in range(6):
        page.get_by_label(re.compile("ID")).fill(login)
        page.get_by_label("パスワード").fill("wrong-password")
        with page.expect_response(lambda response: response.request.method == "POST") as answer:
            page.get_by_role("button", name="ログイン").click()
        expect(page).to_have_title(re.compile("^エラー："))

    assert answer.value.status == 429
    summary = page.get_by_role("alert").filter(has_text="入力内容を確認してください")
    expect(summary).to_contain_text("ログインの失敗が続いたため")
    expect(summary).to_contain_text("Too many failed logins")
    if javascript:
        assert_accessible(page)
    else:
        assert_accessible_without_js(page, new_context)
