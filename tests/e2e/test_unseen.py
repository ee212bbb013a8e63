"""A report no dispatcher has opened, in the browser: the notice comes on time on a live page,
and goes, with the report marked 既読, the moment a dispatcher opens the case."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, log_in
from .test_chat_taps import open_case, report
from .test_journey import open_console

pytestmark = pytest.mark.e2e


def sooner(route):
    """The chat page as served, but due in 1.5 s instead of UNSEEN_REPORT_SECONDS."""
    response = route.fetch()
    body = re.sub(r'data-unseen-in="\d+"', 'data-unseen-in="1500"', response.text())
    route.fulfill(response=response, body=body)


def test_an_unopened_report_says_so_and_a_dispatcher_opening_it_ends_that(live_server, new_context):
    device = new_context()
    device.route(re.compile(r"/reports/[\d-]+$"), sooner)
    phone = device.new_page()
    case_number = report(phone, live_server, "火事", "自宅")
    phone.reload()  # a redirect's target is not routed: the page again, as a reload gets it
    opened = phone.locator("#chat-log .event--opened .event__state")
    expect(opened).to_have_text("届きました")
    notice = phone.get_by_role("alert").filter(has_text="消防本部はまだこの通報を開いていません")
    phone.evaluate("() => document.body.classList.remove('flash')")
    expect(notice).to_be_visible()
    expect(notice.get_by_text(re.compile("FAXで119番"))).to_be_visible()
    expect(phone.locator("body")).to_have_class(re.compile(r"\bflash\b"))
    assert_accessible(phone)

    open_case(open_console(new_context, live_server), case_number)
    expect(notice).to_have_count(0)
    expect(opened).to_have_text("既読")


def test_after_a_transfer_the_chat_says_where_and_warns_until_the_new_hq_opens_it(live_server, new_context):
    """Live, on the open chat: the routing note names the new HQ, and if nobody there opens the
    report the resident is told, as for a new report (the old HQ's 既読 stays on what it read)."""
    phone = new_context().new_page()
    phone.clock.install()  # time flows as usual until the test moves it on
    case_number = report(phone, live_server, "火事", "自宅")
    opened = phone.locator("#chat-log .event--opened .event__state")
    chitose = open_console(new_context, live_server)
    open_case(chitose, case_number)
    expect(opened).to_have_text("既読")

    chitose.get_by_label("引き継ぎ先").select_option(label="恵庭市消防本部")
    chitose.get_by_role("button", name="引き継ぐ").click()
    expect(phone.locator("#case-hq")).to_contain_text("恵庭市消防本部")
    expect(phone.locator("#case-note")).to_have_text(re.compile("千歳市消防本部から恵庭市消防本部に引き継がれました"))
    notice = phone.get_by_role("alert").filter(has_text="消防本部はまだこの通報を開いていません")
    expect(notice).to_be_hidden()
    phone.clock.fast_forward("00:31")
    expect(notice).to_be_visible()
    expect(opened).to_have_text("既読")  # what Chitose read stays read
    assert_accessible(phone)

    eniwa = new_context().new_page()
    log_in(eniwa, live_server.base_url, live_server.account("dispatchers", hq="eniwa"), path="/dispatch/login")
    open_case(eniwa, case_number)
    expect(notice).to_have_count(0)
