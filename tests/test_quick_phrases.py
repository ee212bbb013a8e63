"""Quick phrases (SPEC §3.3): one tap sends the phrase as a message, with or without JavaScript."""
import re

import pytest

from app.extensions import db
from app.models import ReportEvent
from app.report.phrases import QUICK_PHRASES

from .conftest import form_fields, login_as, start_report


@pytest.fixture
def resident_client(app, client):
    login_as(client, app.accounts["residents"][0])
    return client


def phrase_form(page):
    """The action, CSRF token, client id and phrases of the quick-phrase form."""
    form = re.search(r'<form id="quick-phrases".*?</form>', page.text, re.S).group(0)
    return (re.search(r'action="([^"]+)"', form).group(1),
            {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form).group(1),
             "client_id": re.search(r'name="client_id" value="([^"]+)"', form).group(1)},
            re.findall(r'name="body" value="([^"]+)"', form))


def messages():
    with db.connection_context():
        return [e.body for e in ReportEvent.select().where(ReportEvent.kind == "message").order_by(ReportEvent.id)]


def test_every_phrase_is_offered_and_one_tap_sends_it_once(resident_client):
    chat_url = start_report(resident_client).headers["Location"]
    action, fields, offered = phrase_form(resident_client.get(chat_url))
    assert offered == [ja for ja, _ in QUICK_PHRASES]
    assert {"早く来てください", "動けません", "ここにいます"} <= set(offered)
    response = resident_client.post(action, data={**fields, "body": "動けません"})
    assert response.status_code == 303
    resident_client.post(action, data={**fields, "body": "動けません"})  # the browser's retry
    assert messages() == ["動けません"]
    # The page after it has a fresh send id: the next tap is a new message.
    action, fresh, _ = phrase_form(resident_client.get(chat_url))
    assert fresh["client_id"] != fields["client_id"]
    resident_client.post(action, data={**fresh, "body": "ここにいます"})
    assert messages() == ["動けません", "ここにいます"]
    assert "ここにいます" in resident_client.get(f"{chat_url}/log").text


def test_practice_offers_the_same_phrases_and_they_stay_in_practice(resident_client):
    page = resident_client.get("/practice?kind=fire")
    chat_url = resident_client.post("/practice/reports", data={
        **form_fields(page), "kind": "fire", "place": "home"}).headers["Location"]
    action, fields, offered = phrase_form(resident_client.get(chat_url))
    assert action.startswith("/practice/") and offered == [ja for ja, _ in QUICK_PHRASES]
    assert resident_client.post(action, data={**fields, "body": "早く来てください"}).status_code == 303
    assert "早く来てください" in resident_client.get(f"{chat_url}/log").text
    assert messages() == []  # nothing reached the real ledger


def test_a_closed_report_offers_no_phrases(app, resident_client):
    from app.models import Report, Staff
    from app.reporting import set_status
    chat_url = start_report(resident_client).headers["Location"]
    with app.app_context(), db.connection_context():
        set_status(Report.get(), "closed", Staff.get(Staff.role == "dispatcher"))
    assert 'id="quick-phrases"' not in resident_client.get(chat_url).text
