"""What axe cannot see in the dynamic parts: the flash of a new message, focus after a
boosted navigation, and states that must survive forced colours (review of issue 4's work)."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import log_in_resident

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
