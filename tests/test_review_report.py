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
