"""Canned phrases (定型文) in the console and at /admin, and the HQ's staff accounts at /admin."""
import re

import pytest

from app.dispatch import phrases
from app.extensions import db
from app.models import AuditEntry, CannedPhrase, Headquarters, Report, ReportEvent, Staff, WebSession

from .conftest import form_fields, login_as, start_report


def account(app, kind, hq="chitose"):
    return next(a for a in app.accounts[kind] if a["hq"] == hq)


@pytest.fixture
def admin(app):
    client = app.test_client()
    login_as(client, account(app, "admins"), path="/dispatch/login")
    return client


def token(client, path="/admin/phrases"):
    return form_fields(client.get(path))["csrf_token"]


def texts(hq="chitose"):
    with db.connection_context():
        return [p.text for p in CannedPhrase.of(Headquarters.get(Headquarters.code == hq))]


def phrase_id(number, hq="chitose"):
    with db.connection_context():
        return list(CannedPhrase.of(Headquarters.get(Headquarters.code == hq)))[number - 1].id


def test_demo_hqs_start_with_the_default_phrases_numbered_in_the_console(app):
    assert texts() == list(phrases.DEFAULT_PHRASES) and texts("eniwa") == list(phrases.DEFAULT_PHRASES)
    resident, console = app.test_client(), app.test_client()
    login_as(resident, app.accounts["residents"][0])
    start_report(resident)
    login_as(console, account(app, "dispatchers"), path="/dispatch/login")
    with db.connection_context():
        report_id = Report.get().id
    page = console.get(f"/dispatch/cases/{report_id}").text
    assert re.search(r'data-shortcut="2"[^>]*><kbd>2</kbd> 消防車が向かっています。', page)
    assert "キーボード操作" in page and "Ctrl</kbd>+<kbd>Enter" in page


def test_one_click_sends_a_phrase_without_javascript(app):
    resident, console = app.test_client(), app.test_client()
    login_as(resident, app.accounts["residents"][0])
    chat_url = start_report(resident).headers["Location"]
    login_as(console, account(app, "dispatchers"), path="/dispatch/login")
    with db.connection_context():
        report_id = Report.get().id
    case_url = f"/dispatch/cases/{report_id}"
    page = console.get(case_url).text
    form = page.split('class="phrases__form"')[2].split("</form>")[0]  # the second phrase
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    response = console.post(f"{case_url}/phrases", data=fields)
    assert response.status_code == 303
    assert "消防車が向かっています。" in resident.get(chat_url).text
    assert console.post(f"{case_url}/phrases", data=fields).status_code == 303  # a double click
    with db.connection_context():
        sent = ReportEvent.select().where(ReportEvent.body == "消防車が向かっています。")
        assert sent.count() == 1 and sent.get().staff.login == "chitose-dispatcher"


@pytest.mark.parametrize("phrase, message", [
    ("", "定型文が見つかりません"), ("abc", "定型文が見つかりません"), ("999999", "定型文が見つかりません"),
    ("eniwa-1", "定型文が見つかりません"),  # another HQ's phrase
])
def test_a_bad_phrase_is_refused_in_both_languages(app, phrase, message):
    resident, console = app.test_client(), app.test_client()
    login_as(resident, app.accounts["residents"][0])
    start_report(resident)
    login_as(console, account(app, "dispatchers"), path="/dispatch/login")
    with db.connection_context():
        report = Report.get()
        before = report.last_seq
    if phrase == "eniwa-1":
        phrase = str(phrase_id(1, "eniwa"))
    case_url = f"/dispatch/cases/{report.id}"
    response = console.post(f"{case_url}/phrases", data={
        "csrf_token": token(console, case_url), "phrase": phrase, "client_id": "bad-phrase-0001"})
    assert response.status_code == 400 and message in response.text and "was not found" in response.text
    with db.connection_context():
        assert Report.get_by_id(report.id).last_seq == before


def test_an_admin_adds_edits_moves_and_deletes_the_hqs_phrases(admin):
    assert admin.post("/admin/phrases", data={"csrf_token": token(admin), "text": "落ち着いてください。"}).status_code == 303
    assert texts()[-1] == "落ち着いてください。"
    first = phrase_id(1)
    assert admin.post(f"/admin/phrases/{first}", data={
        "phrase-%d-csrf_token" % first: token(admin), f"phrase-{first}-text": "119番です。受け付けました。",
        "action": "save"}).status_code == 303
    assert texts()[0] == "119番です。受け付けました。"
    assert admin.post(f"/admin/phrases/{first}", data={"csrf_token": token(admin), "action": "down"}).status_code == 303
    assert texts()[1] == "119番です。受け付けました。"
    assert admin.post(f"/admin/phrases/{first}", data={"csrf_token": token(admin), "action": "delete"}).status_code == 303
    assert "119番です。受け付けました。" not in texts()
    assert texts("eniwa") == list(phrases.DEFAULT_PHRASES)  # another HQ's list is untouched
    with db.connection_context():
        actions = [e.action for e in AuditEntry.select().where(AuditEntry.action.startswith("phrase_"))
                   .order_by(AuditEntry.id)]
    assert actions == ["phrase_add", "phrase_edit", "phrase_move", "phrase_delete"]


@pytest.mark.parametrize("text, message", [
    ("", "定型文を入力してください"), ("   ", "定型文を入力してください"), ("あ" * 201, "200文字以内"),
    # A double-pressed 追加する, or a phrase already there: it would take a second key.
    (phrases.DEFAULT_PHRASES[1], "同じ定型文がすでにあります"), (" " + phrases.DEFAULT_PHRASES[1], "同じ定型文がすでにあります"),
])
def test_a_bad_phrase_text_is_refused_and_nothing_stored(admin, text, message):
    response = admin.post("/admin/phrases", data={"csrf_token": token(admin), "text": text})
    assert response.status_code == 400 and message in response.text and "<title>エラー：" in response.text
    assert texts() == list(phrases.DEFAULT_PHRASES)


def test_at_most_nine_phrases_one_per_key(admin):
    for n in range(9 - len(phrases.DEFAULT_PHRASES)):
        admin.post("/admin/phrases", data={"csrf_token": token(admin), "text": f"追加{n}"})
    response = admin.post("/admin/phrases", data={"csrf_token": token(admin), "text": "十個目"})
    assert response.status_code == 400 and "9個まで" in response.text and len(texts()) == 9


@pytest.mark.parametrize("action", ["", "explode", "up"])
def test_a_bad_phrase_action_is_refused(admin, action):
    first = phrase_id(1)
    response = admin.post(f"/admin/phrases/{first}", data={"csrf_token": token(admin), "action": action})
    assert response.status_code == 400 and 'lang="en"' in response.text
    assert texts() == list(phrases.DEFAULT_PHRASES)


def test_another_hqs_phrase_and_staff_cannot_be_touched(admin):
    other = phrase_id(1, "eniwa")
    assert admin.post(f"/admin/phrases/{other}", data={"csrf_token": token(admin), "action": "delete"}).status_code == 404
    with db.connection_context():
        eniwa_staff = Staff.get(Staff.login == "eniwa-dispatcher").id
    assert admin.post(f"/admin/staff/{eniwa_staff}/active", data={"csrf_token": token(admin), "active": "0"}).status_code == 404
    with db.connection_context():
        assert Staff.get_by_id(eniwa_staff).active


def test_dispatchers_cannot_use_admin(app):
    console = app.test_client()
    login_as(console, account(app, "dispatchers"), path="/dispatch/login")
    assert console.get("/admin/phrases").status_code == 403
    assert console.post("/admin/staff", data={"csrf_token": token(console, "/dispatch/"), "login": "x-y-z",
                                              "name": "x", "role": "admin", "password": "p" * 12}).status_code == 403


def test_an_admin_creates_a_dispatcher_who_can_log_in_then_deactivates_them(app, admin):
    response = admin.post("/admin/staff", data={"csrf_token": token(admin, "/admin/staff"), "login": "chitose-night-1",
                                                "name": "夜勤 一郎", "role": "dispatcher",
                                                "password": "a-long-password-1"})
    assert response.status_code == 303
    newcomer = app.test_client()
    login_as(newcomer, {"login": "chitose-night-1", "password": "a-long-password-1"}, path="/dispatch/login")
    assert newcomer.get("/dispatch/").status_code == 200
    with db.connection_context():
        member = Staff.get(Staff.login == "chitose-night-1")
        assert member.hq.code == "chitose" and member.role == "dispatcher" and member.password_hash.startswith("$argon2")
    assert admin.post(f"/admin/staff/{member.id}/active", data={"csrf_token": token(admin, "/admin/staff"),
                                                               "active": "0"}).status_code == 303
    assert newcomer.get("/dispatch/").status_code == 302  # the session ended at once
    with db.connection_context():
        assert not WebSession.select().where(WebSession.staff == member.id).exists()
        assert [e.action for e in AuditEntry.select().where(AuditEntry.action.startswith("staff_"))] == [
            "staff_create", "staff_deactivate"]


@pytest.mark.parametrize("fields, message", [
    ({"login": ""}, "職員IDを入力してください"),
    ({"login": "Bad Login!"}, "英小文字・数字"),
    ({"login": "chitose-dispatcher"}, "すでに使われています"),
    ({"name": ""}, "氏名を入力してください"),
    ({"role": "root"}, "役割を選んでください"),
    ({"role": ""}, "役割を選んでください"),
    ({"password": "short"}, "12文字以上"),
])
def test_bad_staff_input_is_refused_in_both_languages_and_nothing_stored(admin, fields, message):
    data = {"csrf_token": token(admin, "/admin/staff"), "login": "chitose-new", "name": "新人",
            "role": "dispatcher", "password": "a-long-password-1", **fields}
    response = admin.post("/admin/staff", data=data)
    assert response.status_code == 400 and message in response.text and 'lang="en"' in response.text
    with db.connection_context():
        assert not Staff.select().where(Staff.login == "chitose-new").exists()


def test_an_admin_cannot_deactivate_themselves(app, admin):
    with db.connection_context():
        me = Staff.get(Staff.login == "chitose-admin").id
    response = admin.post(f"/admin/staff/{me}/active", data={"csrf_token": token(admin, "/admin/staff"), "active": "0"})
    assert response.status_code == 400 and "自分のアカウントは停止できません" in response.text
