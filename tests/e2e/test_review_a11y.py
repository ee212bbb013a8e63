"""What axe cannot see in the dynamic parts: the flash of a new message, focus after a
boosted navigation, and states that must survive forced colours (review of issue 4's work)."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import IN_CHITOSE, log_in_resident
from .test_chat_taps import chips, open_case, report
from .test_journey import open_console

pytestmark = pytest.mark.e2e

# The frame of the flash a new message gives, as the page shows it now.
FRAME = "() => { const s = getComputedStyle(document.body); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 4; }"
NO_FRAME = "() => { const s = getComputedStyle(document.body); return s.outlineStyle === 'none'; }"


@pytest.mark.parametrize("media", [{"reduced_motion": "reduce"}, {"forced_colors": "active"}])
def test_every_new_message_shows_and_then_clears_its_flash(live_server, new_context, media):
    """Without the moving flash (reduced motion), or without backgrounds (forced colours), a
    new message still shows, for a moment, a frame round the screen; and so does the next one."""
    phone = new_context().new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    phone.emulate_media(**media)
    for _ in range(2):
        phone.evaluate("window.NET119.alarm()")
        assert phone.evaluate(FRAME), "the new message shows nothing"
        # Gone again after a moment, so that the next message can show itself the same way.
        phone.wait_for_function(NO_FRAME, timeout=4000)


FOCUSED = "() => { const el = document.activeElement; return el === document.body ? 'body' : el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className.split(' ')[0] : ''); }"


def focus_goes_to(page, where):
    """The focus arrives at ``where`` (app.js moves it once the swap has settled, a moment after
    the new page shows: one loaded run read <body> in between)."""
    page.wait_for_function(f"() => ({FOCUSED})() === {where!r}", timeout=5_000)


def test_focus_after_a_boosted_navigation_is_on_the_new_page(live_server, new_context):
    """A boosted page swap must not drop the focus on <body>, where a screen reader says
    nothing of the new page: the error summary takes it (GOV.UK), else <main>."""
    phone = new_context().new_page()
    phone.goto(live_server.base_url + "/login")
    phone.get_by_role("button", name="ログイン").click()
    expect(phone.locator(".error-summary")).to_be_visible()
    focus_goes_to(phone, "div.error-summary")

    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    phone.get_by_role("button", name=re.compile("^火事")).focus()
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("button", name=re.compile("^自宅"))).to_be_visible()
    focus_goes_to(phone, "main#main")


def test_a_dispatchers_button_keeps_the_focus_when_the_case_is_redrawn(live_server, new_context):
    """A status pushed redraws the case page (a boosted post): the keyboard stays on the
    button just used, not at the top of the page."""
    console = open_console(new_context, live_server)
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    open_case(console, report(phone, live_server, "救急", "自宅"))
    console.get_by_role("button", name=re.compile("^出動しました")).click()
    expect(console.get_by_role("button", name=re.compile("^出動しました"))).to_have_attribute("aria-pressed", "true")
    expect(console.get_by_role("button", name=re.compile("^出動しました"))).to_be_focused()


LOOK = "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.color, s.borderStyle, s.borderWidth, s.outlineStyle]; }"


def test_the_current_status_stage_stays_visible_in_forced_colours(live_server, new_context):
    """The stage pushed last (aria-pressed) is told apart by its background, which forced
    colours (Windows high contrast) replace: it must still look pressed there."""
    console = open_console(new_context, live_server)
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    open_case(console, report(phone, live_server, "救急", "自宅"))
    console.get_by_role("button", name=re.compile("^到着予定")).click()
    pressed = console.get_by_role("button", name=re.compile("^到着予定"))
    expect(pressed).to_have_attribute("aria-pressed", "true")
    console.emulate_media(forced_colors="active")
    assert pressed.evaluate(LOOK) != console.get_by_role("button", name=re.compile("^到着しました")).evaluate(LOOK)


def test_the_focus_stays_with_the_answer_chips_when_they_are_redrawn(live_server, new_context):
    """The socket redraws the answer chips whenever a question, an answer or a status comes:
    a resident on a chip, by keyboard or screen reader, keeps it; after answering, the focus
    waits on the chips' region for the next question, not back on <body>."""
    console = open_console(new_context, live_server)
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    open_case(console, report(phone, live_server, "火事", "自宅"))
    chips(phone, "何が燃えていますか？").get_by_role("button", name=re.compile("^車")).focus()
    console.get_by_role("button", name=re.compile("^出動しました")).click()
    expect(phone.locator("#chat-log")).to_contain_text("出動しました")
    expect(chips(phone, "何が燃えていますか？").get_by_role("button", name=re.compile("^車"))).to_be_focused()

    phone.keyboard.press("Enter")
    expect(chips(phone, "逃げ遅れた人・けが人はいますか？")).to_be_visible()
    expect(phone.locator("#choices")).to_be_focused()


def test_a_dispatcher_on_a_queue_row_keeps_it_when_the_queue_is_pushed(live_server, new_context):
    """The queue is pushed whole on every change (a message, a claim, a new report): a
    dispatcher tabbing through it keeps their row."""
    console = open_console(new_context, live_server)
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    case_number = report(phone, live_server, "救急", "自宅")
    row = console.locator("#queue").get_by_role("link", name=re.compile(case_number))
    row.focus()
    phone.get_by_label("メッセージ").fill("息が苦しいです")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    expect(row).to_contain_text("未読 1件")
    expect(row).to_be_focused()
