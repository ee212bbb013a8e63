"""Review of the account and administration pages in a real browser: answers in view, axe-clean."""
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, assert_accessible_without_js, log_in

pytestmark = pytest.mark.e2e


def test_an_error_low_on_the_account_page_is_in_view_without_javascript(live_server, new_context):
    """The cancellation form is the last of five: its error must be on screen when the page comes back."""
    phone = new_context(java_script_enabled=False, viewport={"width": 375, "height": 667}).new_page()
    log_in(phone, live_server.base_url, live_server.account("residents"))
    phone.goto(live_server.base_url + "/account/")
    phone.get_by_role("button", name="登録を取り消す").click()
    expect(phone).to_have_title(re.compile("^エラー："))
    error = phone.get_by_role("alert").filter(has_text="確認のチェックを入れてください。")
    expect(error).to_be_in_viewport()
    assert_accessible_without_js(phone, new_context)


def add_resident(database, live_server, login, status, name, email="", created="CURRENT_TIMESTAMP"):
    """A resident of the admin's HQ, written straight into the live server's database; its id."""
    database.execute(
        "INSERT OR IGNORE INTO resident (login, password_hash, hq_id, status, name, name_kana, sex, address,"
        " phone, fax, email, disability_type, disability_proof, medical_history, medication,"
        f" emergency_contacts, created_at) SELECT ?, '!', id, ?, ?, '', '', '', '', '', ?,"
        f" '', '', '', '', '[]', {created} FROM headquarters WHERE code = ?",
        (login, status, name, email, live_server.account("admins")["hq"]))
    return database.execute("SELECT id FROM resident WHERE login = ?", (login,)).fetchone()[0]


def admin_at(live_server, new_context, path):
    """The HQ administrator logged in, at ``path``."""
    admin = new_context().new_page()
    log_in(admin, live_server.base_url, live_server.account("admins"), path="/dispatch/login")
    expect(admin.get_by_role("button", name="ログアウト")).to_be_visible()
    admin.goto(live_server.base_url + path)
    return admin


def resident_to_suspend(live_server):
    """A resident of the admin's HQ of this test's own: the demo resident's sessions serve other tests."""
    login = "review-suspend"
    with sqlite3.connect(live_server.data_dir / "net119.sqlite3", timeout=10) as database:
        add_resident(database, live_server, login, "active", "停止 試験")
    database.close()
    return login


def test_suspending_a_resident_is_confirmed(live_server, new_context):
    login = resident_to_suspend(live_server)
    admin = admin_at(live_server, new_context, "/admin/residents")
    admin.get_by_role("row").filter(has_text=login).get_by_role("button", name=re.compile("停止する$")).click()
    expect(admin.get_by_role("status")).to_contain_text("停止しました。")
    assert_accessible(admin)
    admin.get_by_role("row").filter(has_text=login).get_by_role("button", name=re.compile("停止を解除する$")).click()
    expect(admin.get_by_role("status")).to_contain_text("停止を解除しました。")


def resident_not_activated(live_server):
    """A resident of the admin's HQ approved an hour ago whose activation mail has failed twice."""
    login, email = "review-activation", "review.activation.@docomo.ne.jp"
    with sqlite3.connect(live_server.data_dir / "net119.sqlite3", timeout=10) as database:
        resident_id = add_resident(database, live_server, login, "pending", "有効化 試験", email,
                                   created="datetime('now', '-1 hour')")
        database.execute(
            "INSERT INTO outgoing_mail (to_address, subject, body, created_at, sent_at, attempts, next_attempt_at,"
            " last_error) VALUES (?, '【NET119】登録が承認されました', ?, datetime('now', '-50 minutes'), NULL, 2,"
            " datetime('now', '+1 hour'), 'ConnectionRefusedError: [Errno 111] Connection refused')",
            (email, f"ログインID：\n{login}\n"))
    database.close()
    return resident_id


def test_sending_the_activation_mail_again_is_confirmed(live_server, new_context):
    """The admin sees why the mail did not arrive, sends it again, and a second click sends nothing."""
    resident_id = resident_not_activated(live_server)
    admin = admin_at(live_server, new_context, f"/admin/residents/{resident_id}")
    expect(admin.get_by_text("メールサーバーにつながりません。", exact=False)).to_be_visible()
    assert_accessible(admin)
    admin.get_by_role("button", name="有効化のメールを送り直す").click()
    expect(admin.get_by_role("status")).to_contain_text("有効化のメールを送り直しました。")
    assert_accessible(admin)
    admin.get_by_role("button", name="有効化のメールを送り直す").click()
    expect(admin).to_have_title(re.compile("^エラー："))
    expect(admin.get_by_role("alert")).to_contain_text("送ったばかりです")
    assert_accessible(admin)


def test_choosing_the_hq_from_here_says_so_when_the_network_is_gone(live_server, new_context):
    """The request for the HQ of this position can fail: the page says so and the button works again."""
    context = new_context(geolocation={"latitude": 42.82102, "longitude": 141.65088}, permissions=["geolocation"])
    page = context.new_page()
    page.goto(live_server.base_url + "/register/")
    context.set_offline(True)
    page.get_by_role("button", name=re.compile("現在地から消防本部を選ぶ")).click()
    expect(page.get_by_role("status").filter(has_text="一覧から選んでください")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("現在地から消防本部を選ぶ"))).to_be_enabled()
    context.set_offline(False)
