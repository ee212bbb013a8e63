"""What axe cannot see, checked on the rendered HTML: page titles, and the language of the
Japanese parts of bilingual text (review of the dynamic parts' accessibility)."""
import re
from html.parser import HTMLParser

from tests.conftest import console_with_a_case, form_fields, login_as


def title_of(response):
    return re.search(r"<title>(.*?)</title>", response.text, re.S).group(1).strip()


def test_a_practice_page_with_errors_says_error_first(app, client):
    """GOV.UK puts 「エラー：」 first in the title: it is the first word a screen reader says."""
    login_as(client, app.accounts["residents"][0])
    page = client.get("/practice?kind=fire")
    refused = client.post("/practice/reports", data={**form_fields(page), "kind": "fire", "place": "nowhere"})
    assert refused.status_code == 400
    assert title_of(refused).startswith("エラー：練習中：")
    assert title_of(client.get("/practice?kind=fire")).startswith("練習中：")


JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class JapaneseOutsideJa(HTMLParser):
    """Text in Japanese whose nearest lang attribute is not "ja" (read with the wrong voice)."""

    def __init__(self):
        super().__init__()
        self.stack, self.found = [], []

    def lang(self):
        return next((lang for _, lang in reversed(self.stack) if lang), None)

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append((tag, dict(attrs).get("lang")))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if JAPANESE.search(data) and self.lang() != "ja":
            self.found.append(data.strip())


def japanese_outside_ja(html):
    checker = JapaneseOutsideJa()
    checker.feed(html.split("<body", 1)[1])  # a <title> cannot say its language
    return checker.found


def test_the_japanese_of_bilingual_notices_is_marked_japanese_on_an_english_page(app, client):
    """Error pages and the failure notices show both languages on any page; on an English page
    their Japanese must say lang="ja", or a screen reader reads it with an English voice."""
    client.set_cookie("net119_lang", "en")
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and '<html lang="en">' in missing.text
    assert japanese_outside_ja(missing.text) == []
    assert not JAPANESE.search(title_of(missing))
    login = client.get("/login")  # carries the connection notices' templates
    assert japanese_outside_ja(login.text) == []


class LiveRegionsAround(HTMLParser):
    """The aria-live values of an element (by id) and its ancestors."""

    def __init__(self, element_id):
        super().__init__()
        self.element_id, self.stack, self.found = element_id, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in VOID:
            return
        live = attrs.get("aria-live") or {"alert": "assertive", "status": "polite", "log": "polite"}.get(attrs.get("role"))
        self.stack.append((tag, live))
        if attrs.get("id") == self.element_id:
            self.found = [value for _, value in self.stack if value]

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass


def test_a_location_update_is_announced_to_the_dispatcher_once(app):
    """Every location update (every 30 s) is a line in the chat log, a live region; the
    latest-position line it also rewrites must not be another, or a screen reader says
    each update twice, every half minute, over the resident's messages."""
    console, report_id = console_with_a_case(app)
    page = console.get(f"/dispatch/cases/{report_id}")
    regions = LiveRegionsAround("latest-fix")
    regions.feed(page.text)
    assert regions.found == []
    regions = LiveRegionsAround("chat-log")
    regions.feed(page.text)
    assert regions.found == ["polite"]
