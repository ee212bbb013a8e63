"""What static/js/registration.js writes, read as a screen reader would on an English page.

Its status lines are in both languages whatever the page's; each half is marked with its
language (as app.js marks its undelivered-message notice), and the HQ it names keeps the
lang="ja" the server gave it.
"""
import re

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible
from .test_english import assert_english_page
from .test_registration_places import ENIWA, no_outside_tiles

pytestmark = pytest.mark.e2e


def english_page(new_context, live_server, **options):
    context = new_context(**options)
    context.add_cookies([{"name": "net119_lang", "value": "en", "url": live_server.base_url}])
    no_outside_tiles(context)
    page = context.new_page()
    page.goto(live_server.base_url + "/register/")
    return page


def test_the_hq_found_from_the_position_is_read_in_its_language(live_server, new_context):
    page = english_page(new_context, live_server, geolocation=ENIWA, permissions=["geolocation"])
    page.get_by_role("button", name=re.compile("Use my location")).click()
    expect(page.get_by_label("Fire headquarters to apply to")).to_have_value("eniwa")
    status = page.locator(".locate__status")
    expect(status).to_contain_text("恵庭市消防本部")
    expect(status.locator('[lang="ja"]').first).to_contain_text("恵庭市消防本部")
    assert_english_page(page)
    assert_accessible(page)


def test_a_position_not_available_is_said_in_both_languages_each_marked(live_server, new_context):
    page = english_page(new_context, live_server)
    page.get_by_role("button", name=re.compile("Use my location")).click()
    status = page.locator(".locate__status")
    expect(status.locator('[lang="en"]')).to_have_text("Your location is not available; choose from the list.")
    expect(status.locator('[lang="ja"]')).to_have_text("現在地を使えませんでした。一覧から選んでください。")
    assert_english_page(page)


def test_a_point_picked_on_the_map_is_said_in_both_languages_each_marked(live_server, new_context):
    page = english_page(new_context, live_server)
    page.get_by_label("Fire headquarters to apply to").select_option("chitose")
    page.get_by_label("Mail address").fill("e2e-english-map@example.jp")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name=re.compile("Check your mail"))).to_be_visible()
    page.goto(live_server.base_url + "/register/mailbox")
    page.locator("article", has_text="e2e-english-map@example.jp").first.get_by_role("link").first.click()
    page.get_by_role("button", name="Pick frequent place 1 on the map").click()
    the_map = page.locator("#place1-map-figure .leaflet-container")
    expect(the_map).to_be_visible()
    box = the_map.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    status = page.locator(".map-picker__status").first
    expect(status.locator('[lang="en"]')).to_contain_text("Set latitude")
    expect(status.locator('[lang="ja"]')).to_contain_text("緯度")
    assert_english_page(page)
