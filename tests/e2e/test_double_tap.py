"""A double tap on the first step does not send the report (static/js/app.js, data-second-tap).

The second step's buttons appear where the first step's were (on a 360 px phone 自宅 lies
under 火事), so the second tap of a double tap, or a tap that lands twice, fell on 自宅 and
sent a fire report to the home address. For a moment after the step appears its buttons now
take no tap; a tap after that sends the report as before."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import log_in_resident
from .test_pwa import reports_with
from .test_saved_report import CHAT, report_posts

pytestmark = pytest.mark.e2e

# The second tap of a double tap: on the button under the finger, as soon as the step is there
# (the next task after the swap, as a tap is: never inside the swap itself).
TAP_AS_SOON_AS_IT_APPEARS = """() => {
    window.tappedTooSoon = null;
    document.addEventListener("htmx:load", function once() {
        const home = document.querySelector('form[method=post] button[name=place][value=home]');
        if (!home) return;
        document.removeEventListener("htmx:load", once);
        setTimeout(() => { home.click(); window.tappedTooSoon = Date.now(); }, 0);
    });
}"""


def test_a_double_tap_on_the_kind_does_not_send_the_report(served, new_context):
    live_server = served()  # its own database: the report it opens must not reach other tests
    context = new_context(viewport={"width": 360, "height": 640}, has_touch=True)
    posted = report_posts(context)
    phone = context.new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    fire = phone.get_by_role("button", name=re.compile("^火事")).bounding_box()

    phone.evaluate(TAP_AS_SOON_AS_IT_APPEARS)
    phone.get_by_role("button", name=re.compile("^火事")).click()
    home = phone.get_by_role("button", name=re.compile("^自宅"))
    expect(home).to_be_visible()
    phone.wait_for_function("() => window.tappedTooSoon !== null")
    phone.wait_for_timeout(1_500)  # a report, had it gone, would have opened its chat by now
    assert posted == [] and not CHAT.search(phone.url)
    # The two buttons share the finger's place: that is why the second tap lands there.
    where = home.bounding_box()
    assert where["y"] < fire["y"] + fire["height"] and fire["y"] < where["y"] + where["height"]

    # A tap the resident means, a moment later, sends it.
    home.click()
    expect(phone).to_have_url(CHAT, timeout=20_000)
    assert len(posted) == 1 and reports_with(live_server, posted[0]) == 1
