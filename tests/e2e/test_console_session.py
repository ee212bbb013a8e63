"""A console left open is never logged out: a night with no report is the normal night, and the
next report must still raise the alarm on the queue and on a case (SPEC §4)."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import IN_CHITOSE
from .test_chat_taps import open_case, report
from .test_console import queue_item
from .test_console_alerts import alarmed_console

pytestmark = pytest.mark.e2e

# Seconds. Left alone for two and a half lifetimes, then used: a console whose session ended
# meets the login at its next request (its socket would close only at its 30 s re-check).
LIFETIME = 8
LEFT_ALONE_MS = int(2.5 * LIFETIME * 1000)


def test_a_console_left_open_with_no_report_for_several_lifetimes_is_still_logged_in(served, new_context):
    server = served(NET119_STAFF_SESSION_LIFETIME=str(LIFETIME))
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    first_case = report(phone, server, "救急", "自宅")
    on_queue, _ = alarmed_console(new_context, server)
    on_case, _ = alarmed_console(new_context, server)
    open_case(on_case, first_case)

    on_queue.wait_for_timeout(LEFT_ALONE_MS)  # nobody touches either console

    later = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(later, server, "火事", "自宅")
    for console in (on_queue, on_case):
        expect(queue_item(console, case_number)).to_be_visible()
        expect(console.get_by_role("button", name="ログイン")).to_have_count(0)
        expect(console.get_by_role("button", name="ログアウト")).to_be_visible()
    expect(on_case.locator(".case-number")).to_contain_text(first_case)
    expect(on_queue).to_have_title(re.compile("受信中の通報"))
    queue_item(on_queue, case_number).click()  # a request: the session is still there
    expect(on_queue.locator(".case-number")).to_contain_text(case_number)


def test_logging_out_of_a_console_that_keeps_its_session_still_logs_out(served, new_context):
    server = served(NET119_STAFF_SESSION_LIFETIME=str(LIFETIME))
    console, _ = alarmed_console(new_context, server)
    console.wait_for_timeout(LIFETIME * 1000)  # it has asked for its session meanwhile
    console.get_by_role("button", name="ログアウト").click()
    expect(console.get_by_role("button", name="ログイン")).to_be_visible()
    console.wait_for_timeout(3_000)  # nothing on the login page asks for it again
    console.goto(server.base_url + "/dispatch/")
    expect(console.get_by_role("button", name="ログイン")).to_be_visible()
