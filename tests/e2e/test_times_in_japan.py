"""Times the pages write themselves are Japan's, like the ones the server writes.

The chat's times come from the server in JST; the lines a page wrote itself (the resident's
"location sent at", the console's "latest position, updated at") took the device's own clock
zone. A phone or a desk PC set to another zone (a visitor's phone, a PC left on UTC) then
showed two times nine hours apart for the same moment, on a page where minutes matter.
"""
import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from .conftest import IN_CHITOSE, log_in
from .test_chat_taps import MOVED, open_case, report

pytestmark = pytest.mark.e2e

JST = timezone(timedelta(hours=9))
ELSEWHERE = "America/New_York"


def japan_times_now():
    """The minute in Japan now and the one before (the page may have written it a moment ago)."""
    now = datetime.now(JST)
    return {f"{moment:%H:%M}" for moment in (now, now - timedelta(minutes=1))}


def test_a_location_update_is_timed_in_japan_on_a_phone_and_a_console_set_to_another_zone(
        live_server, new_context):
    device = new_context(timezone_id=ELSEWHERE, geolocation=IN_CHITOSE, permissions=["geolocation"])
    phone = device.new_page()
    case_number = report(phone, live_server, "救急", "自宅")
    console = new_context(timezone_id=ELSEWHERE).new_page()
    log_in(console, live_server.base_url, live_server.account("dispatchers"), path="/dispatch/login")
    open_case(console, case_number)

    device.set_geolocation(MOVED)  # the phone follows its position and sends the move itself
    expect(console.locator("#chat-log .event--location[data-lat='42.8262']")).to_have_count(1)

    latest = console.locator("#latest-fix")
    expect(latest).to_contain_text("北緯 42.82620")
    shown = re.search(r"(\d{2}:\d{2}) 更新", latest.inner_text())
    assert shown and shown.group(1) in japan_times_now(), latest.inner_text()

    sent = phone.get_by_text(re.compile("現在地を送りました"))
    expect(sent.first).to_be_visible()
    shown = re.search(r"（(\d{2}:\d{2})", sent.first.inner_text())
    assert shown and shown.group(1) in japan_times_now(), sent.first.inner_text()
