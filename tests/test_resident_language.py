"""The console says when the resident reads the service in English.

A resident who chose English (a visitor, or someone who reads Japanese as a second language)
gets the service's own words in English, but the dispatcher's replies are typed: written in
ordinary Japanese, they may not be read at all. The dispatcher is told, beside the reply box.
"""
import pytest

from app.extensions import db
from app.i18n import COOKIE
from app.models import Report

from .conftest import dispatcher_account, login_as, start_report

NOTE = "通報者の画面は英語です"


@pytest.mark.parametrize("language, told", [("en", True), ("ja", False), (None, False), ("fr", False)])
def test_the_console_tells_the_dispatcher_the_language_the_resident_reported_in(app, language, told):
    resident, console = app.test_client(), app.test_client()
    if language:
        resident.set_cookie(COOKIE, language)
    login_as(resident, app.accounts["residents"][0])
    assert start_report(resident).status_code == 303
    with db.connection_context():
        report_id = Report.get().id
    login_as(console, dispatcher_account(app), path="/dispatch/login")
    page = console.get(f"/dispatch/cases/{report_id}").get_data(as_text=True)
    assert (NOTE in page) is told
    # The case's record keeps it too, with the rest of what the report was opened with.
    record = console.get(f"/dispatch/cases/{report_id}/record.json").get_json()
    opened = next(line for line in record["timeline"] if line["seq"] == 1)
    assert opened["data"]["language"] == ("en" if told else "ja")
