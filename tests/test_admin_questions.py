"""An HQ's own question trees at /admin/questions: checked before use, used for that HQ's next reports only."""
import html
import json

import pytest

from app import questions
from app.extensions import db
from app.models import AuditEntry, Headquarters, Resident
from app.reporting import open_questions, open_report

from .conftest import form_fields, login_as


@pytest.fixture
def admin(app, tmp_path):
    app.config["QUESTION_TREES_DIR"] = str(tmp_path / "trees")
    client = app.test_client()
    login_as(client, next(a for a in app.accounts["admins"] if a["hq"] == "chitose"), path="/dispatch/login")
    return client


def edited_fire_tree():
    document = json.loads((questions.DEFAULT_DIR / "fire.json").read_text(encoding="utf-8"))
    document["questions"]["burning"]["ja"] = "何が燃えていますか？（建物・車・その他）"
    return json.dumps(document, ensure_ascii=False)


def post_tree(admin, text, action="save", kind="fire"):
    page = admin.get(f"/admin/questions/edit?kind={kind}")
    return admin.post(f"/admin/questions/edit?kind={kind}", data={"csrf_token": form_fields(page)["csrf_token"],
                                                        "tree": text, "action": action})


def first_question_for(app, resident_login="chitose-taro", tap="tap-admin-q-0001"):
    with app.app_context(), db.connection_context():
        resident = Resident.get(Resident.login == resident_login)
        report, _ = open_report(resident, kind="fire", place_kind="home", client_id=tap)
        return open_questions(report)[0].body


def test_the_list_shows_each_tree_and_whether_it_is_the_default(admin):
    page = admin.get("/admin/questions")
    assert page.status_code == 200
    assert page.text.count("：標準</h2>") == len(questions.TREE_KINDS)
    assert "何が燃えていますか？" in page.text and "病気ですか？けがですか？" in page.text
    assert 'href="/admin/questions"' in admin.get("/admin/").text


def test_an_edited_tree_is_asked_in_this_hqs_next_report_and_audited(app, admin):
    editor = admin.get("/admin/questions/edit?kind=fire")
    assert '"start": "burning"' in html.unescape(editor.text)  # the default, ready to edit
    response = post_tree(admin, edited_fire_tree())
    assert response.status_code == 303
    assert "この本部の独自版" in admin.get("/admin/questions").text
    assert first_question_for(app) == "何が燃えていますか？（建物・車・その他）"
    with app.app_context(), db.connection_context():
        sapporo = Headquarters.get(code="sapporo")
        assert questions.tree_for(sapporo, "fire", questions.own_trees_dir()).questions["burning"].ja == "何が燃えていますか？"
        assert AuditEntry.select().where(AuditEntry.action == "question_tree").count() == 1


@pytest.mark.parametrize("text, reason", [
    ("{not json", "not valid JSON"),
    (json.dumps({"kind": "fire", "start": "a", "questions": {"a": {"ja": "一", "en": "One", "choices": [
        {"ja": "x", "en": "X", "next": "a"}]}}}), "loop"),
    (json.dumps({"kind": "ambulance", "start": "a", "questions": {}}), "kind"),
    ("", "not valid JSON"),
])
def test_a_broken_tree_is_not_saved_and_says_why_in_both_languages(app, admin, text, reason):
    response = post_tree(admin, text)
    assert response.status_code == 400
    assert "質問の内容に誤りがあるため保存していません" in response.text and "Not saved" in response.text
    assert reason in response.text and "<title>エラー：" in response.text
    assert first_question_for(app) == "何が燃えていますか？"


def test_back_to_the_default(app, admin):
    post_tree(admin, edited_fire_tree())
    assert post_tree(admin, "", action="reset").status_code == 303
    assert first_question_for(app) == "何が燃えていますか？"
    assert "この本部の独自版" not in admin.get("/admin/questions").text


def test_only_administrators_and_only_known_trees(app, admin):
    assert admin.get("/admin/questions/edit?kind=other").status_code == 404
    dispatcher = app.test_client()
    login_as(dispatcher, next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose"), path="/dispatch/login")
    assert dispatcher.get("/admin/questions/edit?kind=fire").status_code in (302, 403)
