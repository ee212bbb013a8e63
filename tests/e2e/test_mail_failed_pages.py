"""An activation mail the outbox gave up on, as the administrator sees it: in words, axe-clean, JS on and off."""
import sqlite3

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, assert_accessible_without_js, log_in
from .test_registration_review import add_resident

pytestmark = pytest.mark.e2e


def resident_whose_mail_failed(live_server, suffix):
    """A resident of the admin's HQ approved yesterday whose activation mail the carrier refused (no such user)."""
    login, email = f"review-mail-failed-{suffix}", f"no.such.user.{suffix}@docomo.ne.jp"
    with sqlite3.connect(live_server.data_dir / "net119.sqlite3", timeout=10) as database:
        add_resident(database, live_server, login, "pending", f"不達 試験{suffix}", email,
                     created="datetime('now', '-1 day')")
        database.execute(
            "INSERT INTO outgoing_mail (to_address, subject, body, created_at, sent_at, attempts, next_attempt_at,"
            " last_error, failed_at, failure) VALUES (?, '【NET119】登録が承認されました', ?,"
            " datetime('now', '-1 day'), NULL, 1, datetime('now', '-1 day'),"
            " 'SMTPRecipientsRefused: 550 5.1.1 <...@docomo.ne.jp>: User unknown', datetime('now', '-1 day'),"
            " 'refused')",
            (email, f"ログインID：\n{login}\n"))
    database.close()
    return login


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_mail_not_delivered_is_shown_in_the_list_and_on_the_residents_page(live_server, new_context, javascript):
    suffix = "js" if javascript else "nojs"
    login = resident_whose_mail_failed(live_server, suffix)
    admin = new_context(java_script_enabled=javascript).new_page()
    log_in(admin, live_server.base_url, live_server.account("admins"), path="/dispatch/login")
    expect(admin.get_by_role("button", name="ログアウト")).to_be_visible()
    admin.goto(live_server.base_url + "/admin/residents")
    row = admin.get_by_role("row").filter(has_text=login)
    expect(row.get_by_role("cell", name="届けられませんでした", exact=False)).to_be_visible()
    check = assert_accessible if javascript else (lambda page: assert_accessible_without_js(page, new_context))
    check(admin)
    row.get_by_role("link", name=f"不達 試験{suffix}", exact=True).click()
    expect(admin.get_by_text("届けられませんでした。", exact=False)).to_be_visible()
    expect(admin.get_by_text("このメールアドレスは存在しません", exact=False)).to_be_visible()
    check(admin)
    # A mail that never arrived can be sent again at once: no minute's wait.
    admin.get_by_role("button", name="有効化のメールを送り直す").click()
    expect(admin.get_by_role("status")).to_contain_text("有効化のメールを送り直しました。")
    check(admin)


def rejected_application_whose_mail_failed(live_server):
    """An application of the admin's HQ rejected an hour ago; the mail with the reason was refused."""
    email = "rejected.no.such.user@docomo.ne.jp"
    with sqlite3.connect(live_server.data_dir / "net119.sqlite3", timeout=10) as database:
        database.execute(
            "INSERT INTO application (hq_id, email, status, draft, reason, created_at, updated_at, submitted_at,"
            " decided_at) SELECT id, ?, 'rejected', '{\"name\": \"却下 試験\"}', '管轄外です', datetime('now', '-1 day'),"
            " datetime('now', '-1 hour'), datetime('now', '-1 day'), datetime('now', '-1 hour')"
            " FROM headquarters WHERE code = ?", (email, live_server.account("admins")["hq"]))
        application_id = database.execute("SELECT max(id) FROM application").fetchone()[0]
        database.execute(
            "INSERT INTO outgoing_mail (to_address, subject, body, created_at, attempts, next_attempt_at,"
            " last_error, failed_at, failure) VALUES (?, '【NET119】登録申請について', '管轄外です',"
            " datetime('now', '-1 hour'), 1, datetime('now', '-1 hour'),"
            " 'SMTPRecipientsRefused: 550 5.1.1 User unknown', datetime('now', '-1 hour'), 'refused')", (email,))
    database.close()
    return application_id


def test_a_rejection_whose_mail_was_not_delivered_says_so(live_server, new_context):
    application_id = rejected_application_whose_mail_failed(live_server)
    admin = new_context().new_page()
    log_in(admin, live_server.base_url, live_server.account("admins"), path="/dispatch/login")
    expect(admin.get_by_role("button", name="ログアウト")).to_be_visible()
    admin.goto(f"{live_server.base_url}/admin/applications/{application_id}")
    expect(admin.get_by_text("理由を知らせるメールは届けられませんでした", exact=False)).to_be_visible()
    assert_accessible(admin)
