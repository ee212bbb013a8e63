"""Registration in a real browser: the link by web, the form with errors corrected, axe-clean, JS on and off."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, assert_accessible_without_js, log_in

pytestmark = pytest.mark.e2e


def request_link(page, base_url, email):
    """Ask for the application link at /register and follow it from the demo mailbox."""
    page.goto(base_url + "/register/")
    page.get_by_label("申請する消防本部").select_option(label="千歳市消防本部")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_role("button", name="リンクを送る").click()
    expect(page.get_by_role("heading", name=re.compile("メールを確認してください"))).to_be_visible()
    page.goto(base_url + "/register/mailbox")
    # The first link: the mail's English part repeats it.
    page.locator("article", has_text=email).first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name=re.compile("登録申請書"))).to_be_visible()


def fill_application(page, name="千歳 次郎", kana="チトセ ジロウ"):
    page.get_by_label("氏名", exact=True).fill(name)
    page.get_by_label("氏名（フリガナ）").fill(kana)
    page.get_by_label("生年月日").fill("1992-03-04")
    page.get_by_role("group", name="性別").get_by_label("男性").check()
    page.get_by_label("住所", exact=True).fill("北海道千歳市東雲町2丁目34")
    page.get_by_label("障害の種類").select_option("聴覚障害")
    page.get_by_label("身体障害者手帳を持っている").check()
    page.get_by_label("よく行く場所1の名前（任意）").fill("職場")
    page.get_by_label("住んでいる").check()
    page.get_by_label("利用規約に同意します").check()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_application_form_with_errors_corrected(live_server, new_context, javascript):
    page = new_context(java_script_enabled=javascript).new_page()
    check = (lambda: assert_accessible(page)) if javascript else (
        lambda: assert_accessible_without_js(page, new_context))
    request_link(page, live_server.base_url, f"e2e-{'js' if javascript else 'nojs'}.@docomo.ne.jp")
    check()

    page.get_by_role("button", name="申請する").click()
    expect(page).to_have_title(re.compile("^エラー："))
    summary = page.get_by_role("alert").filter(has_text="入力内容を確認してください")
    expect(summary).to_be_visible()
    check()
    summary.get_by_role("link", name=re.compile("氏名を入力してください")).click()
    expect(page.get_by_label("氏名", exact=True)).to_be_focused()

    fill_application(page)
    page.get_by_role("button", name="申請する").click()
    expect(page.get_by_role("heading", name=re.compile("申請を受け付けました"))).to_be_visible()
    check()


def test_review_activation_and_account_pages(live_server, new_context):
    """The admin approves in the browser; the activation link logs the phone in; every page is axe-clean."""
    email = "e2e-approve@example.jp"
    phone = new_context().new_page()
    request_link(phone, live_server.base_url, email)
    fill_application(phone, "千歳 三郎", "チトセ サブロウ")
    phone.get_by_role("button", name="申請する").click()
    expect(phone.get_by_role("heading", name=re.compile("申請を受け付けました"))).to_be_visible()

    admin = new_context().new_page()
    log_in(admin, live_server.base_url, live_server.account("admins"), path="/dispatch/login")
    expect(admin.get_by_role("button", name="ログアウト")).to_be_visible()
    admin.goto(live_server.base_url + "/admin/")
    admin.get_by_role("link", name=re.compile("審査を待っている申請")).click()
    assert_accessible(admin)
    admin.get_by_role("link", name=re.compile("千歳 三郎")).click()
    expect(admin.get_by_role("heading", name=re.compile("登録申請：千歳 三郎"))).to_be_visible()
    assert_accessible(admin)
    admin.get_by_role("button", name="承認する").click()
    expect(admin.get_by_role("heading", name=re.compile("登録申請の審査"))).to_be_visible()

    phone.goto(live_server.base_url + "/register/mailbox")
    # The first link: the mail's English part repeats it.
    phone.locator("article", has_text="承認されました").filter(has_text=email).first.get_by_role("link").first.click()
    expect(phone.get_by_role("heading", name=re.compile("パスワードの設定"))).to_be_visible()
    assert_accessible(phone)
    phone.get_by_label("パスワード", exact=True).fill("correct horse")
    phone.get_by_label("パスワード（確認）").fill("correct horse")
    phone.get_by_role("button", name="設定して使い始める").click()
    expect(phone.get_by_role("button", name=re.compile("^火事"))).to_be_visible()

    phone.get_by_role("link", name=re.compile("登録内容の確認・変更")).click()
    expect(phone.get_by_role("heading", name=re.compile("登録内容と設定"))).to_be_visible()
    assert_accessible(phone)
    admin.goto(live_server.base_url + "/admin/residents")
    assert_accessible(admin)


def test_the_terms_page_is_accessible_and_opens_from_the_form_in_a_new_tab(live_server, new_context):
    page = new_context().new_page()
    request_link(page, live_server.base_url, "terms-reader@example.jp")
    with page.context.expect_page() as opened:
        page.get_by_role("link", name=re.compile("利用規約を読む")).click()
    terms = opened.value
    expect(terms.get_by_role("heading", level=1)).to_contain_text("利用規約")
    assert_accessible(terms)
    assert_accessible_without_js(terms, new_context)
    # What was typed waits in the first tab.
    expect(page.get_by_role("heading", name=re.compile("登録申請書"))).to_be_visible()
