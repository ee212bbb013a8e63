"""Words typed for the place, then Enter (the phone keyboard's 送信 / Go): the report goes from
where the phone is, never to an address the resident did not choose.

Enter in a text box sends its form by the form's first submit button (HTML's implicit
submission). The second step's first button was 自宅, so a resident who typed 「駅の北口」 and
pressed Go reported a fire at home; in the place-first order it was 火事, a kind never chosen.
templates/report/_start.html now puts a hidden button first: 外出先, and, on the kind step,
the one-tap report's "kind unknown"."""
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from .conftest import IN_CHITOSE, assert_accessible, log_in, log_in_resident, wait_as_a_person_would
from .test_saved_report import CHAT

pytestmark = pytest.mark.e2e

WORDS = "駅の北口のコンビニの前"


def report_of(server, page):
    case_number = page.url.rsplit("/", 1)[-1]
    with sqlite3.connect(f"file:{server.database}?mode=ro", uri=True) as db:
        return db.execute("SELECT kind, place_kind, place_label, lat IS NOT NULL FROM report WHERE case_number = ?",
                          (case_number,)).fetchone()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_enter_in_the_place_words_reports_from_where_the_phone_is(served, new_context, javascript):
    live_server = served()  # its own database: the report it opens must not reach other tests
    context = new_context(java_script_enabled=javascript, geolocation=IN_CHITOSE, permissions=["geolocation"])
    phone = context.new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    phone.get_by_role("button", name=re.compile("^火事")).click()
    expect(phone.get_by_role("heading", name=re.compile("どこですか"))).to_be_visible()
    words = phone.get_by_label(re.compile("場所の説明"))
    if javascript:  # the page fills the position in as soon as it has one
        expect(phone.get_by_text("現在地を取得しました").first).to_be_visible()
    if javascript:
        assert_accessible(phone)
    words.fill(WORDS)
    wait_as_a_person_would(words)
    words.press("Enter")

    expect(phone).to_have_url(CHAT, timeout=20_000)
    kind, place_kind, label, has_position = report_of(live_server, phone)
    assert (kind, place_kind, label) == ("fire", "current", WORDS)
    assert has_position == javascript  # without a script the page has no position to send


def test_enter_in_the_place_words_on_the_kind_step_sends_it_with_the_kind_unknown(served, new_context):
    live_server = served()
    with sqlite3.connect(live_server.database) as db:
        db.execute("UPDATE headquarters SET tap_order = 'place-first' WHERE code = 'chitose'")
    context = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"])
    phone = context.new_page()
    log_in(phone, live_server.base_url, live_server.account("residents"))
    phone.get_by_role("button", name=re.compile("^外出先")).click()
    expect(phone.get_by_role("heading", name=re.compile("何がありましたか"))).to_be_visible()
    expect(phone.get_by_text("現在地を取得しました").first).to_be_visible()
    assert_accessible(phone)
    words = phone.get_by_label(re.compile("場所の説明"))
    words.fill(WORDS)
    wait_as_a_person_would(words)
    words.press("Enter")

    expect(phone).to_have_url(CHAT, timeout=20_000)
    assert report_of(live_server, phone)[:3] == ("unknown", "current", WORDS)
