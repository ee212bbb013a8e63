"""A whole practice report in English, in a real browser, with JavaScript and without.

The practice dispatcher greets, asks, reacts and reviews in English; the answer buttons are
English; the page, as the socket fills it, has its Japanese (the resident's address) marked
lang="ja" and nothing else in Japanese; axe on every screen.
"""
import re

import pytest
from playwright.sync_api import expect

from ..test_english_pages import JAPANESE
from .conftest import IN_CHITOSE, assert_accessible, assert_accessible_without_js, tap_to_send
from .test_english import assert_english_page, english_device
from .test_practice import expect_practice_screen as expect_practice_screen_in

pytestmark = pytest.mark.e2e


def expect_practice_screen(page):
    expect_practice_screen_in(page, banner="This is practice", title="Practice: ")


def tap(page, answer):
    page.locator("#practice-choices").get_by_role("button", name=answer, exact=True).click()


def test_a_whole_practice_report_in_english_with_javascript(live_server, new_context):
    phone = english_device(new_context, live_server, geolocation=IN_CHITOSE, permissions=["geolocation"])
    phone.get_by_role("link", name="Practise reporting").click()
    expect_practice_screen(phone)
    assert_english_page(phone)
    assert_accessible(phone)

    phone.get_by_role("button", name=re.compile("^Ambulance")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^Current location")))
    log = phone.locator("#chat-log")
    expect(log.get_by_text("I am the automatic practice dispatcher", exact=False)).to_be_visible()
    expect(log.get_by_text("Is it an illness or an injury?")).to_be_visible()
    expect(phone.locator("#status-banner")).to_contain_text("Received")
    expect_practice_screen(phone)
    assert_english_page(phone)
    assert_accessible(phone)

    # Typed English reaches the practice dispatcher over the socket and is answered live, in English.
    phone.get_by_label("Message").fill("In front of the station")
    phone.get_by_role("button", name=re.compile("^Send")).click()
    expect(log.get_by_text("Thank you. We have the information about the place.")).to_be_visible()
    expect(log.locator("li", has_text="In front of the station").get_by_text("Read")).to_be_visible()

    for question, answer in [("Is it an illness or an injury?", "Sudden illness"), ("Who is it?", "A family member"),
                             ("Are they conscious?", "Yes"), ("Are they breathing?", "Yes"),
                             ("Is there heavy bleeding?", "I don't know")]:
        expect(log.get_by_text(question).last).to_be_visible()
        tap(phone, answer)
        expect(log.locator("li.event--mine").last).to_contain_text(answer)
        expect_practice_screen(phone)
    expect(phone.locator("#status-banner")).to_contain_text("Arriving soon")
    assert_english_page(phone)
    assert_accessible(phone)
    tap(phone, "Nothing more to say")

    expect(phone.locator("#status-banner")).to_contain_text("Arrived")
    review = log.locator("li", has_text="What went well:")
    expect(review).to_contain_text("Questions you answered: 5.")
    assert not JAPANESE.search(review.inner_text())
    expect(phone.get_by_text("This practice has ended.")).to_be_visible()
    expect(phone.get_by_role("link", name="Practise again")).to_be_visible()
    expect_practice_screen(phone)
    assert_english_page(phone)
    assert_accessible(phone)

    # Reloaded, the same chat is drawn by the server in English too.
    phone.reload()
    expect(log.locator("li", has_text="What went well:")).to_be_visible()
    assert_english_page(phone)


def test_a_practice_in_english_without_javascript(live_server, new_context):
    phone = english_device(new_context, live_server, java_script_enabled=False)
    phone.goto(live_server.base_url + "/practice")
    expect_practice_screen(phone)
    phone.get_by_role("button", name=re.compile("^Fire")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^Home")))
    expect_practice_screen(phone)
    assert_accessible_without_js(phone, new_context)
    messages = phone.frame_locator("iframe[title^='Messages']")
    expect(messages.get_by_text("What is burning?")).to_be_visible()
    for answer in ["A car", "No", "Yes"]:
        tap(phone, answer)
        expect_practice_screen(phone)
    expect(messages.get_by_text("Are you in a safe place?")).to_be_visible()
    phone.get_by_label("Message").fill("Smoke from the second floor window")
    phone.get_by_role("button", name=re.compile("^Send")).click()
    expect(messages.get_by_text(re.compile("What went well:"))).to_be_visible()
    assert not JAPANESE.search(messages.locator("li", has_text="What went well:").inner_text())
    expect(phone.get_by_text("This practice has ended.")).to_be_visible()
    assert_english_page(phone)
    assert_accessible_without_js(phone, new_context)
