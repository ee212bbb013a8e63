"""Review of /admin against bad input: plain errors, never a 500, never an irreversible guess."""
import pytest

from app.extensions import db
from app.models import Application, Headquarters, OutgoingMail, Report, Resident, utcnow

from .conftest import form_fields, login_as, start_report
from .test_registration import VALID_APPLICATION

# Beyond a 64-bit integer: SQLite refuses the number itself.
HUGE_ID = "9" * 30


@pytest.fixture
def admin(app):
    client = app.test_client()
    login_as(client, next(a for a in app.accounts["admins"] if a["hq"] == "chitose"), path="/dispatch/login")
    return client


def post(client, path, page="/admin/", **data):
    return client.post(path, data={"csrf_token": form_fields(client.get(page))["csrf_token"], **data})


@pytest.mark.parametrize("method, path, data", [
    ("get", f"/admin/applications/{HUGE_ID}", {}),
    ("post", f"/admin/applications/{HUGE_ID}", {"action": "approve"}),
    ("post", f"/admin/residents/{HUGE_ID}/status", {"status": "suspended"}),
    ("post", f"/admin/phrases/{HUGE_ID}", {"action": "delete"}),
    ("post", f"/admin/staff/{HUGE_ID}/active", {"active": "0"}),
])
def test_an_id_too_large_for_the_database_is_an_unknown_id(admin, method, path, data):
    """A mistyped or hand-made id is the plain 404 page, not the 500 of a database that refused it."""
    response = post(admin, path, **data) if method == "post" else admin.get(path)
    assert response.status_code == 404
    assert "ページが見つかりません。" in response.text


def submitted(**draft):
    with db.connection_context():
        return Application.create(hq=Headquarters.get(Headquarters.code == "chitose"), email="a@example.jp",
                                  status="submitted", draft=dict(VALID_APPLICATION, **draft),
                                  submitted_at=utcnow()).id


@pytest.mark.parametrize("fields", [{}, {"action": ""}, {"action": "approv"}, {"reason": "書き途中"}])
def test_a_post_without_a_decision_decides_nothing(admin, fields):
    """Neither approve nor reject pressed: the application stays as it was, nothing is mailed, and it says so."""
    path = f"/admin/applications/{submitted()}"
    response = post(admin, path, page=path, **fields)
    assert response.status_code == 400
    assert "<title>エラー：" in response.text and 'role="alert"' in response.text
    assert "「承認する」か「却下する」を押してください。" in response.text
    # The reason typed so far is still in the box.
    assert fields.get("reason", "") in response.text
    with db.connection_context():
        assert Application.get_by_id(int(path.rsplit("/", 1)[1])).status == "submitted"
        assert OutgoingMail.select().where(OutgoingMail.to_address == "a@example.jp").count() == 0


def resident_with(status):
    with db.connection_context():
        return Resident.create(login=f"chitose-{status}", password_hash="!", hq=Headquarters.get(code="chitose"),
                               name="千歳 次郎", status=status).id


@pytest.mark.parametrize("status, wanted, code, message", [
    ("active", None, 400, "「停止する」か「停止を解除する」を押してください。"),
    ("active", "banned", 400, "「停止する」か「停止を解除する」を押してください。"),
    ("pending", "suspended", 409, "「停止」も「解除」もできない状態です"),
    ("cancelled", "active", 409, "「停止」も「解除」もできない状態です"),
])
def test_a_suspension_that_changed_nothing_says_so(admin, status, wanted, code, message):
    """Whether a resident can report hangs on this page: a request that did nothing must not look done."""
    resident_id = resident_with(status)
    response = post(admin, f"/admin/residents/{resident_id}/status", page="/admin/residents",
                    **({"status": wanted} if wanted else {}))
    assert response.status_code == code
    assert message in response.text and "<title>エラー：" in response.text and 'role="alert"' in response.text
    with db.connection_context():
        assert Resident.get_by_id(resident_id).status == status


def test_a_resident_whose_report_is_open_is_not_suspended_until_it_is_closed(app, admin):
    """Suspending ends every session at once: the resident's chat closed mid-case, with help
    perhaps still on the way, and the dispatcher could no longer reach them."""
    resident = app.test_client()
    login_as(resident, next(a for a in app.accounts["residents"] if a["hq"] == "chitose"))
    chat = start_report(resident).headers["Location"]
    with db.connection_context():
        report = Report.get()
    refused = post(admin, f"/admin/residents/{report.resident_id}/status", page="/admin/residents", status="suspended")
    assert refused.status_code == 409 and "対応中の通報があります" in refused.text
    assert resident.get(chat).status_code == 200  # still in the chat
    with db.connection_context():
        assert Resident.get_by_id(report.resident_id).status == "active"
        Report.update(status="closed").where(Report.id == report.id).execute()
    done = post(admin, f"/admin/residents/{report.resident_id}/status", page="/admin/residents", status="suspended")
    assert done.status_code == 303 and resident.get(chat).status_code == 302


def test_a_suspension_is_confirmed_on_the_page(admin):
    resident_id = resident_with("active")
    done = post(admin, f"/admin/residents/{resident_id}/status", page="/admin/residents", status="suspended")
    assert done.status_code == 303
    assert "停止しました。" in admin.get(done.headers["Location"]).text
    done = post(admin, f"/admin/residents/{resident_id}/status", page="/admin/residents", status="active")
    assert "停止を解除しました。" in admin.get(done.headers["Location"]).text


@pytest.mark.parametrize("fields, message", [
    ({"action": "approve"}, "承認しました。ログインIDとパスワード設定のリンクを、申請者にメールで送りました。"),
    ({"action": "reject", "reason": "管轄外です"}, "却下しました。理由を申請者にメールで送りました。")])
def test_a_decision_is_confirmed_with_what_was_mailed(admin, fields, message):
    path = f"/admin/applications/{submitted()}"
    decided = post(admin, path, page=path, **fields)
    assert decided.status_code == 303
    assert message in admin.get(decided.headers["Location"]).text
