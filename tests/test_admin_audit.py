"""Administrators' actions are audit entries too: decisions on applications and suspensions."""
import pytest

from app.extensions import db
from app.models import Application, AuditEntry, Headquarters, Resident
from app.registration import applications

from .conftest import form_fields, login_as

DRAFT = {"name": "申請 花子", "name_kana": "シンセイ ハナコ", "birth_date": "1970-01-01", "sex": "女性",
         "address": "北海道千歳市東雲町1丁目"}


@pytest.fixture
def admin(app):
    client = app.test_client()
    login_as(client, next(a for a in app.accounts["admins"] if a["hq"] == "chitose"), path="/dispatch/login")
    return client


def submitted():
    with db.connection_context():
        return Application.create(hq=Headquarters.get(Headquarters.code == "chitose"), email="a@example.jp",
                                  status="submitted", draft=DRAFT).id


def audit(action):
    with db.connection_context():
        return [(e.staff.login, e.detail) for e in AuditEntry.select().where(AuditEntry.action == action)]


@pytest.mark.parametrize("action, fields, entry", [
    ("approve", {}, "application_approved"), ("reject", {"reason": "管轄外です"}, "application_rejected")])
def test_a_decision_on_an_application_is_audited(admin, action, fields, entry):
    application_id = submitted()
    path = f"/admin/applications/{application_id}"
    response = admin.post(path, data={"csrf_token": form_fields(admin.get(path))["csrf_token"],
                                      "action": action, **fields})
    assert response.status_code == 303
    assert audit(entry) == [("chitose-admin", {"application": application_id})]


def test_a_decision_already_made_is_not_audited_again(app):
    application_id = submitted()
    with app.test_request_context(), db.connection_context():
        admin = next(s for s in Headquarters.get(Headquarters.code == "chitose").staff if s.role == "admin")
        assert applications.approve(Application.get_by_id(application_id), by=admin) is not None
        assert applications.approve(Application.get_by_id(application_id), by=admin) is None
    assert len(audit("application_approved")) == 1


def test_suspending_and_reinstating_a_resident_are_audited(admin):
    with db.connection_context():
        resident = Resident.get(Resident.login == "chitose-taro")
    path = f"/admin/residents/{resident.id}/status"
    for status in ("suspended", "suspended", "active"):  # the repeat changes nothing and is not audited
        token = form_fields(admin.get("/admin/residents"))["csrf_token"]
        assert admin.post(path, data={"csrf_token": token, "status": status}).status_code == 303
    assert audit("resident_suspend") == [("chitose-admin", {"resident": "chitose-taro"})]
    assert audit("resident_reinstate") == [("chitose-admin", {"resident": "chitose-taro"})]


def test_staff_logins_and_logouts_are_audited_and_a_failed_one_is_not(app):
    account = next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose")
    console = app.test_client()
    page = console.get("/dispatch/login")
    failed = console.post("/dispatch/login", data={"csrf_token": form_fields(page)["csrf_token"],
                                                   "login": account["login"], "password": "wrong password"})
    assert failed.status_code == 400 and audit("login") == []
    login_as(console, account, path="/dispatch/login")
    token = form_fields(console.get("/dispatch/"))["csrf_token"]
    assert console.post("/dispatch/logout", data={"csrf_token": token}).status_code == 303
    assert [entry for entry, _ in audit("login")] == [account["login"]]
    assert [entry for entry, _ in audit("logout")] == [account["login"]]
    assert audit("login")[0][1] == {"address": "127.0.0.1"}
    # A resident's login is no staff action: the staff audit does not list it.
    login_as(app.test_client(), next(a for a in app.accounts["residents"] if a["hq"] == "chitose"))
    assert len(audit("login")) == 1
