"""A report no dispatcher has opened: after UNSEEN_REPORT_SECONDS the resident's chat says so
and shows the other ways to call (SPEC §3.5, "HQ not reachable"); once a dispatcher opens
it, the notice goes and the report itself shows 既読 (SPEC §1: know it arrived and was read)."""
import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Headquarters, Report, ReportEvent, Staff, utcnow
from app.reporting import transfer_report

from .conftest import login_as, start_report

NOTICE = "消防本部はまだこの通報を開いていません。"
pytestmark = pytest.mark.both_databases


@pytest.fixture
def resident(app, client):
    login_as(client, app.accounts["residents"][0])
    return client


@pytest.fixture
def dispatcher(app):
    console = app.test_client()
    login_as(console, next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose"),
             path="/dispatch/login")
    return console


def unseen(page):
    """The notice's opening tag in ``page``, or None."""
    found = re.search(r'<div id="unseen"[^>]*>', page.text)
    return found and found.group(0)


def age(seconds):
    with db.connection_context():
        Report.update(created_at=utcnow() - timedelta(seconds=seconds)).execute()


def test_the_notice_waits_in_the_page_until_it_is_due(resident):
    chat_url = start_report(resident, kind="fire", place="home").headers["Location"]
    tag = unseen(resident.get(chat_url))
    assert tag and " hidden" in tag
    assert 25_000 < int(re.search(r'data-unseen-in="(\d+)"', tag).group(1)) <= 30_000
    assert NOTICE not in resident.get(f"{chat_url}/log").text  # the frame shows it only when due


def test_once_due_it_shows_in_the_page_and_in_the_message_frame(resident):
    chat_url = start_report(resident, kind="ambulance", place="home").headers["Location"]
    age(31)
    tag = unseen(resident.get(chat_url))
    assert tag and " hidden" not in tag and 'data-unseen-in="0"' in tag
    frame = resident.get(f"{chat_url}/log").text
    assert NOTICE in frame and "FAX" in frame and "not opened this report yet" in frame


def test_a_dispatcher_opening_the_case_ends_it_and_the_report_shows_read(resident, dispatcher):
    chat_url = start_report(resident, kind="fire", place="home").headers["Location"]
    page = resident.get(chat_url).text
    assert re.search(r'class="event event--opened".*?data-state="stored"', page, re.S)
    age(60)
    with db.connection_context():
        report = Report.get()
    assert dispatcher.get(f"/dispatch/cases/{report.id}").status_code == 200
    page = resident.get(chat_url)
    assert unseen(page) is None
    assert re.search(r'class="event event--opened".*?data-state="read">既読', page.text, re.S)
    assert NOTICE not in resident.get(f"{chat_url}/log").text


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_link_from_another_site_shows_the_case_but_does_not_mark_it_read(resident, dispatcher, site):
    # A page elsewhere cannot make the resident believe a person has read the report.
    chat_url = start_report(resident, kind="fire", place="home").headers["Location"]
    age(60)
    with db.connection_context():
        report = Report.get()
    page = dispatcher.get(f"/dispatch/cases/{report.id}",
                          headers={"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "navigate"})
    assert page.status_code == 200 and report.case_number in page.text
    with db.connection_context():
        assert Report.get_by_id(report.id).staff_read_seq == 0
    assert unseen(resident.get(chat_url)) is not None
    assert "既読" not in resident.get(chat_url).text

    # The console's own navigation, or an address typed or bookmarked, is a person opening it.
    for asked_here in ("same-origin", "none"):
        with db.connection_context():
            Report.update(staff_read_seq=0).execute()
        dispatcher.get(f"/dispatch/cases/{report.id}", headers={"Sec-Fetch-Site": asked_here})
        assert unseen(resident.get(chat_url)) is None, asked_here


def test_a_closed_report_has_no_notice(resident):
    chat_url = start_report(resident, kind="fire", place="home").headers["Location"]
    with db.connection_context():
        Report.update(status="closed").execute()
    age(60)
    assert unseen(resident.get(chat_url)) is None


def test_after_a_transfer_the_new_hq_must_open_it_again(app, resident, dispatcher):
    """The old HQ's reading stays 既読 on what it read, but nobody at the new HQ may be at the
    console: the notice comes UNSEEN_REPORT_SECONDS after the transfer, until the new HQ opens it."""
    chat_url = start_report(resident, kind="fire", place="home").headers["Location"]
    with db.connection_context():
        report = Report.get()
    assert dispatcher.get(f"/dispatch/cases/{report.id}").status_code == 200  # Chitose opens it
    assert unseen(resident.get(chat_url)) is None
    with app.app_context(), db.connection_context():
        transfer_report(Report.get(), Headquarters.get(Headquarters.code == "eniwa"),
                        Staff.get(Staff.login == next(a["login"] for a in app.accounts["dispatchers"]
                                                         if a["hq"] == "chitose")))
        handed = ReportEvent.get(ReportEvent.kind == "transfer")
    age(3600)  # the report is old; the wait counts from the transfer
    tag = unseen(resident.get(chat_url))
    assert tag and " hidden" in tag and 25_000 < int(re.search(r'data-unseen-in="(\d+)"', tag).group(1)) <= 30_000
    assert f'data-read-past="{handed.seq}"' in tag  # the page removes it once the new HQ has read past it
    assert re.search(r'class="event event--opened".*?data-state="read">既読', resident.get(chat_url).text, re.S)
    with db.connection_context():
        ReportEvent.update(created_at=utcnow() - timedelta(seconds=31)).where(ReportEvent.id == handed.id).execute()
    assert NOTICE in resident.get(f"{chat_url}/log").text  # due: the message frame shows it too

    eniwa = app.test_client()
    login_as(eniwa, next(a for a in app.accounts["dispatchers"] if a["hq"] == "eniwa"), path="/dispatch/login")
    assert eniwa.get(f"/dispatch/cases/{report.id}").status_code == 200
    assert unseen(resident.get(chat_url)) is None
    assert NOTICE not in resident.get(f"{chat_url}/log").text
