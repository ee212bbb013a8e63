"""A cold review of the resident's reporting flow (SPEC §3, §8): what the resident sees, with and without JavaScript."""
from html.parser import HTMLParser

import pytest

from app.extensions import db
from app.models import Report, Staff
from app.reporting import set_status

from .conftest import login_as, start_report


class _Ancestry(HTMLParser):
    """The classes of every element around the element with ``target`` as its id."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, target):
        super().__init__()
        self.target, self.stack, self.found = target, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == self.target and self.found is None:
            self.found = [cls for _, cls in self.stack]
        if tag not in self.VOID:
            self.stack.append((tag, (attrs.get("class") or "").split()))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass


def hidden_without_javascript(html, element_id):
    """True when the element sits inside a .js-only element (noscript.css hides those)."""
    parser = _Ancestry(element_id)
    parser.feed(html)
    assert parser.found is not None, f"no #{element_id} on the page"
    return any("js-only" in classes for classes in parser.found)


@pytest.fixture
def resident(app, client):
    login_as(client, app.accounts["residents"][0])
    return client


def push_status(status):
    with db.connection_context():
        report = Report.get()
        set_status(report, status, Staff.get(Staff.hq == report.receiving_hq))


def test_without_javascript_the_status_shown_is_the_one_that_refreshes(resident):
    """The chat page's banner is drawn once; without JavaScript only the message frame reloads.
    A no-JavaScript resident saw 「受付しました」 at the top of the page for good, next to the
    frame's 「出動しました」 — and that one at the top of a frame scrolled to its end, out of view."""
    chat_url = start_report(resident).headers["Location"]
    page = resident.get(chat_url).text
    push_status("dispatched")
    assert hidden_without_javascript(page, "status-banner")
    frame = resident.get(f"{chat_url}/log").text
    assert "出動しました" in frame
    # In view where the frame scrolls to (#latest), not above the messages.
    assert frame.index('id="latest"') < frame.index('id="status-banner"')


def case_note(page):
    """The text of the chat page's routing note (SPEC §3.4), or None."""
    if 'class="case-note"' not in page:
        return None
    return " ".join(page.split('class="case-note">')[1].split("</p>")[0].split())


def test_the_routing_note_is_in_english_too(resident):
    """Every notice to the resident is Japanese with English; the English of the routing
    decision was stored with the report but the chat showed only the Japanese."""
    shinjuku = {"lat": "35.6895", "lon": "139.6917", "accuracy": "20"}
    note = case_note(resident.get(start_report(resident, **shinjuku).headers["Location"]).text)
    assert "管轄外" in note and "Out of area" in note


def test_a_report_sent_before_the_fix_says_where_it_is_once_the_fix_comes_and_118_at_sea(resident):
    """Sent before the phone had a position, the chat said 「位置情報がありません」 for good, even
    once the position had come; and a resident at sea was never shown 118 (SPEC §8)."""
    from app.reporting import record_location
    from app.routing import Fix

    chat_url = start_report(resident, lat="", lon="", accuracy="").headers["Location"]
    assert "位置情報がありません" in case_note(resident.get(chat_url).text)
    with db.connection_context():
        record_location(Report.get(), Fix(42.30, 141.70, 30.0), "first-fix-at-sea")  # 苫小牧沖
    note = case_note(resident.get(chat_url).text)
    assert "位置情報がありません" not in note
    assert "118" in note and "NET118" in note and "Japan Coast Guard" in note


def test_a_transferred_report_tells_the_resident_in_both_languages(resident):
    from app.models import Headquarters
    from app.reporting import transfer_report

    chat_url = start_report(resident).headers["Location"]
    with db.connection_context():
        report = Report.get()
        transfer_report(report, Headquarters.get(Headquarters.code == "eniwa"),
                        Staff.get(Staff.hq == report.receiving_hq))
    note = case_note(resident.get(chat_url).text)
    assert "恵庭市消防本部" in note and "引き継" in note and "handed over" in note


def test_a_second_phrase_tapped_before_the_page_came_back_is_not_taken_for_a_retry(resident):
    """The quick phrases share one form, so one client id. Without JavaScript, a second phrase
    tapped before the first tap's page came back went with the same id: it was taken for a
    retry of the first, and silently dropped while the page said nothing."""
    import re

    chat_url = start_report(resident).headers["Location"]
    form = re.search(r'<form id="quick-phrases".*?</form>', resident.get(chat_url).text, re.S).group(0)
    fields = {name: re.search(rf'name="{name}" value="([^"]+)"', form).group(1) for name in ("csrf_token", "client_id")}
    assert resident.post(f"{chat_url}/messages", data={**fields, "body": "早く来てください"}).status_code == 303
    second = resident.post(f"{chat_url}/messages", data={**fields, "body": "動けません"})
    assert second.status_code == 400
    assert "送られていません" in second.text and "was not sent" in second.text
    # The same phrase again is a retry, as before: stored once, no error.
    assert resident.post(f"{chat_url}/messages", data={**fields, "body": "早く来てください"}).status_code == 303


@pytest.mark.parametrize("place", ["home", "frequent"])
def test_words_typed_about_the_place_reach_the_dispatcher_whichever_place_is_tapped(app, resident, place):
    """The kind-first page has one 「場所の説明」 field above all the place buttons. Typed, then
    「自宅」 or a registered place tapped, the words were dropped: only 外出先 kept them."""
    from app.models import FrequentPlace, Resident

    with db.connection_context():
        me = Resident.get(Resident.login == app.accounts["residents"][0]["login"])
        spot = FrequentPlace.get_or_none(FrequentPlace.resident == me) or FrequentPlace.create(
            resident=me, label="職場", address="千歳市東雲町2-34", position=0)
    value = "home" if place == "home" else f"frequent-{spot.id}"
    assert start_report(resident, place=value, place_text="2階の台所").status_code == 303
    with db.connection_context():
        report = Report.get()
        said = [e.body for e in report.events if e.kind == "message" and e.actor == "resident"]
    assert (me.address if place == "home" else spot.label) in report.place_label
    # In the chat, as the resident's first words: the place's label has no room for 200 more characters.
    assert said == ["場所の説明：2階の台所"]
    assert "場所の説明：2階の台所" in resident.get(f"/reports/{report.case_number}").text


def test_words_typed_with_the_current_location_are_its_label_and_not_said_twice(resident):
    assert start_report(resident, place="current", place_text="駅の北口").status_code == 303
    with db.connection_context():
        report = Report.get()
        assert report.place_label == "駅の北口"
        assert not [e for e in report.events if e.kind == "message"]
