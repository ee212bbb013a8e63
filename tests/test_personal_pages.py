"""Pages with personal data are stored by no cache, except the resident's own phone's copies of the
pages they report from; static files and the offline page stay cacheable."""
import pytest

from app.extensions import db
from app.models import Application, Headquarters, Report

from .conftest import login_as, start_report
from .test_admin_audit import DRAFT


def chitose(app, kind):
    return next(a for a in app.accounts[kind] if a["hq"] == "chitose")


@pytest.fixture
def case_number(app):
    phone = app.test_client()
    login_as(phone, app.accounts["residents"][0])
    return start_report(phone).headers["Location"].rsplit("/", 1)[1]


@pytest.fixture
def resident(app):
    phone = app.test_client()
    login_as(phone, app.accounts["residents"][0])
    return phone


@pytest.fixture
def staff(app):
    """A logged-in client for "dispatchers" or "admins" of Chitose."""
    def log_in(kind):
        console = app.test_client()
        login_as(console, chitose(app, kind), path="/dispatch/login")
        return console
    return log_in


def report_id(case_number):
    with db.connection_context():
        return Report.get(Report.case_number == case_number).id


@pytest.mark.parametrize("path", ["/dispatch/", "/dispatch/cases/{id}", "/dispatch/cases/{id}/record",
                                  "/dispatch/cases/{id}/record.json", "/dispatch/cases/999999"])
def test_the_console_is_never_stored(staff, case_number, path):
    answer = staff("dispatchers").get(path.format(id=report_id(case_number)))
    assert answer.headers["Cache-Control"] == "no-store", path


def test_the_console_keeps_its_vary_header(staff, case_number):
    answer = staff("dispatchers").get(f"/dispatch/cases/{report_id(case_number)}")
    assert answer.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in answer.headers["Vary"]


def test_an_application_and_the_residents_list_are_never_stored(staff):
    with db.connection_context():
        application = Application.create(hq=Headquarters.get(Headquarters.code == "chitose"),
                                         email="a@example.jp", status="submitted", draft=DRAFT)
    admin = staff("admins")
    for path in (f"/admin/applications/{application.id}", "/admin/residents", "/admin/"):
        assert admin.get(path).headers["Cache-Control"] == "no-store", path


@pytest.mark.parametrize("path", ["/account/", "/reports/{case}/log", "/practice/reports/no-such-case"])
def test_the_residents_other_pages_are_never_stored(resident, case_number, path):
    answer = resident.get(path.format(case=case_number))
    assert answer.headers["Cache-Control"] == "no-store", path


@pytest.mark.parametrize("path", ["/", "/?kind=fire", "/reports/{case}", "/practice", "/proxy"])
def test_the_pages_a_resident_reports_from_are_kept_on_the_phone_only(resident, case_number, path):
    # The service worker keeps the start pages for use with no network, and the
    # back/forward cache (which refuses no-store pages) brings the chat back at once.
    answer = resident.get(path.format(case=case_number))
    assert answer.status_code == 200, path
    assert set(answer.headers["Cache-Control"].split(", ")) == {"private", "no-cache"}, path


@pytest.mark.parametrize("path", ["/static/js/app.js", "/offline", "/sw.js", "/manifest.webmanifest"])
def test_the_app_shell_stays_cacheable_when_logged_in(resident, path):
    with resident.get(path) as answer:  # a static file is streamed: closed here
        assert "no-store" not in answer.headers.get("Cache-Control", ""), path


def test_pages_for_nobody_in_particular_are_left_as_they_were(client):
    assert "Cache-Control" not in client.get("/login").headers
