"""The start page's saved copy when the server fails (static/js/sw.js)."""
import re

import pytest
from playwright.sync_api import expect

from .test_pwa import resident_phone

pytestmark = pytest.mark.e2e


# ---- The start page when the server fails ------------------------------------------------

def test_the_start_page_uses_its_saved_copy_when_the_server_fails(served, new_context):
    live_server = served()
    context, phone = resident_phone(live_server, new_context)
    phone.goto(live_server.base_url + "/")
    expect(phone.get_by_role("button", name=re.compile("^火事"))).to_be_visible()

    # A proxy in front of the server answers 502 for the second-tap page (the worker's request).
    failed = []

    def bad_gateway(route):
        failed.append(route.request.url)
        route.fulfill(status=502, content_type="text/html", body="<html><body><h1>502 Bad Gateway</h1></body></html>")
    context.route(re.compile(r"/\?kind=fire$"), bad_gateway)

    phone.get_by_role("button", name=re.compile("^火事")).click()
    expect(phone.get_by_role("button", name=re.compile("^自宅"))).to_be_visible()
    expect(phone.get_by_text("502 Bad Gateway")).to_have_count(0)
    assert failed, "the server was not asked"

    phone.goto(live_server.base_url + "/?kind=fire")
    expect(phone.get_by_role("button", name=re.compile("^自宅"))).to_be_visible()
