"""Measured in a real browser, on every resident page and state: target sizes, text size,
focus, reflow at 320 px and with 200 % text, contrast and live regions (issue 4)."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import IN_CHITOSE, add_user_style, assert_accessible, log_in_resident, remove_user_styles, tap_to_send

pytestmark = pytest.mark.e2e

MAIN_BUTTONS = ".button--emergency, .button--place, .button--onetap"

# Every visible control a finger can hit, with its box and name.
TARGETS = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), textarea, select, summary, [tabindex]:not([tabindex="-1"])')]
  .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
  .map(el => { const r = el.getBoundingClientRect();
               return {name: (el.innerText || el.value || el.getAttribute('aria-label') || el.id).trim().slice(0, 40),
                       tag: el.tagName, width: r.width, height: r.height}; })"""

# Text that is rendered on screen: the size of every element that holds some directly.
TEXT_SIZES = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getClientRects().length && [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
  .filter(el => !el.closest('.visually-hidden, .skip-link, template, noscript'))
  .map(el => ({text: el.textContent.trim().slice(0, 30), size: parseFloat(getComputedStyle(el).fontSize)}))"""

# WCAG relative luminance contrast of each text element against the first opaque background behind it.
CONTRAST = """selector => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                                     .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
                                                                  if (c.length < 4 || c[3] === 1) return c; }
                             return [255, 255, 255]; };
  const out = [];
  for (const root of document.querySelectorAll(selector)) {
    for (const el of [root, ...root.querySelectorAll('*')]) {
      if (!el.getClientRects().length || ![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
      const fg = rgb(getComputedStyle(el).color), bg = background(el);
      const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      out.push({text: el.textContent.trim().slice(0, 30), ratio: (hi + 0.05) / (lo + 0.05)});
    }
  }
  return out;
}"""


def assert_big_enough(page):
    """Main report buttons ≥ 88 px tall, every other target ≥ 48 × 48 px, text ≥ 18 px."""
    main = page.eval_on_selector_all(MAIN_BUTTONS, "els => els.map(e => [e.innerText, e.getBoundingClientRect().height])")
    assert [b for b in main if b[1] < 88] == [], f"main buttons under 88 px on {page.url}"
    small = [t for t in page.evaluate(TARGETS) if t["height"] < 48 or t["width"] < 48]
    assert small == [], f"targets under 48 px on {page.url}: {small}"
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 18
    tiny = [t for t in page.evaluate(TEXT_SIZES) if t["size"] < 18]
    assert tiny == [], f"text under 18 px on {page.url}: {tiny}"


def assert_focus_visible(page):
    """Tab through the page: every control that takes focus shows a ring of at least 3 px."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.click(1, 1)
    seen = 0
    for _ in range(40):
        page.keyboard.press("Tab")
        ring = page.evaluate("""() => { const el = document.activeElement;
            if (!el || el === document.body) return null;
            const s = getComputedStyle(el);
            return {name: (el.innerText || el.id || el.tagName).trim().slice(0, 30),
                    outline: s.outlineStyle !== 'none' ? parseFloat(s.outlineWidth) : 0,
                    shadow: s.boxShadow !== 'none'}; }""")
        if ring is None:
            break
        seen += 1
        assert ring["outline"] >= 3 or ring["shadow"], f"no visible focus on {ring['name']} ({page.url})"
    assert seen >= 2, "nothing took the keyboard focus"


def assert_reflows(page):
    """No sideways scrolling at 320 px wide, nor at 640 px with the text at 200 %.

    320 CSS px is what a 640 px window shows at 200 % browser zoom (zoom shrinks the
    layout viewport; WCAG 1.4.10 uses the same equivalence). The text-only 200 % is the
    user's font-size setting: the root font size doubled, which rem units follow.
    """
    size = page.viewport_size
    fits = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate(fits), f"sideways scrolling at 320 px on {page.url}"
    page.set_viewport_size({"width": 640, "height": 800})
    add_user_style(page, "html { font-size: 200% !important; }")
    assert page.evaluate(fits), f"sideways scrolling with 200 % text on {page.url}"
    remove_user_styles(page)
    page.set_viewport_size(size)


def assert_contrast(page, selector, minimum=7):
    low = [c for c in page.evaluate(CONTRAST, selector) if c["ratio"] < minimum]
    assert low == [], f"contrast under {minimum}:1 in {selector} on {page.url}: {low}"


def check(page):
    assert_accessible(page)
    assert_big_enough(page)
    assert_focus_visible(page)
    assert_reflows(page)


def test_resident_pages_are_big_clear_and_reflow(served, new_context):
    live_server = served()  # its own database: the reports it opens must not reach other tests
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    phone.goto(live_server.base_url + "/login")
    check(phone)
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    check(phone)
    assert_contrast(phone, MAIN_BUTTONS)

    phone.get_by_role("button", name=re.compile("^火事")).click()
    expect(phone.get_by_role("button", name=re.compile("^自宅"))).to_be_visible()
    check(phone)
    assert_contrast(phone, MAIN_BUTTONS)

    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))
    expect(phone.get_by_text("受信した消防本部")).to_be_visible()
    phone.get_by_label("メッセージ").fill("台所から火が出ています")
    phone.get_by_role("button", name=re.compile("^送信")).click()
    sent = phone.locator("#chat-log li", has_text="台所から火が出ています")
    expect(sent.get_by_text(re.compile("^(届きました|既読)$"))).to_be_visible()
    # New messages arrive in a polite live region, so a screen reader reads them out.
    live = phone.locator("[aria-live='polite']").filter(has=phone.locator("li", has_text="台所から火が出ています"))
    expect(live).to_have_count(1)
    expect(phone.get_by_role("status").filter(has_text="受付しました")).to_be_visible()
    check(phone)
    assert_contrast(phone, ".chat, .status-banner, .case-head")

    phone.goto(live_server.base_url + "/offline")
    check(phone)


def test_reduced_motion_and_forced_colours_are_respected(live_server, new_context):
    phone = new_context().new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    flash = "(() => { document.body.classList.add('flash'); const s = getComputedStyle(document.body);" \
            " return {animation: s.animationName, outline: s.outlineStyle}; })()"
    # A new message flashes the screen; with reduced motion it is a still frame instead, for a
    # moment (tests/e2e/test_review_a11y.py: it clears, so that the next message shows too).
    assert phone.evaluate(flash)["animation"] == "flash"
    phone.emulate_media(reduced_motion="reduce")
    assert phone.evaluate(flash) == {"animation": "flash-frame", "outline": "solid"}

    # Forced colours drop backgrounds: the big buttons keep a border, focus keeps a ring.
    phone.emulate_media(forced_colors="active")
    fire = phone.get_by_role("button", name=re.compile("^火事"))
    assert fire.evaluate("el => getComputedStyle(el).borderTopStyle") == "solid"
    fire.focus()
    phone.keyboard.press("Shift+Tab")
    phone.keyboard.press("Tab")
    assert fire.evaluate("el => el.matches(':focus-visible') && parseFloat(getComputedStyle(el).outlineWidth)") >= 3


def test_the_checks_catch_what_they_look_for(live_server, new_context):
    """Each check fails on a page broken on purpose (so a passing run means something)."""
    phone = new_context().new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    breakages = [
        (".button--fire { min-height: 0 !important; height: 60px; }", assert_big_enough),
        ("a, button { min-height: 0 !important; min-width: 0 !important; padding: 0 !important; font-size: 12px; line-height: 1 !important; }", assert_big_enough),
        (".geo-status, .last-practised { font-size: 14px !important; }", assert_big_enough),
        ("*:focus-visible { outline: none !important; box-shadow: none !important; }", assert_focus_visible),
        ("main::after { content: ''; display: block; width: 400px; height: 1px; }", assert_reflows),
        (".button--fire { background: #e06060 !important; }", lambda page: assert_contrast(page, MAIN_BUTTONS)),
    ]
    for css, checker in breakages:
        phone.reload()
        expect(phone.get_by_role("button", name=re.compile("^火事"))).to_be_visible()
        add_user_style(phone, css)
        with pytest.raises(AssertionError):
            checker(phone)


def assert_no_japanese(page):
    """Japanese shows nowhere on an English page but in names (the HQ's) and the language link."""
    text = page.locator("body").inner_text()
    leftover = set(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]+", text)) - {"千歳市消防本部", "日本語"}
    assert not leftover, f"untranslated Japanese on {page.url}: {leftover}"


def test_the_english_ui_from_the_switch_to_the_chat(served, new_context):
    live_server = served()  # its own database: the reports it opens must not reach other tests
    phone = new_context(geolocation=IN_CHITOSE, permissions=["geolocation"]).new_page()
    phone.goto(live_server.base_url + "/login")
    phone.get_by_role("link", name="English").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_role("heading", level=1, name="Log in")).to_be_visible()
    phone.get_by_label("Login ID").fill(live_server.account("residents")["login"])
    phone.get_by_label("Password").fill(live_server.account("residents")["password"])
    phone.get_by_role("button", name="Log in").click()

    expect(phone.get_by_role("heading", level=1, name="What happened?")).to_be_visible()
    check(phone)
    assert_no_japanese(phone)
    phone.get_by_role("button", name="Ambulance", exact=True).click()
    expect(phone.get_by_role("heading", level=1, name="Ambulance: where?")).to_be_visible()
    tap_to_send(phone.get_by_role("button", name="Current location", exact=True))

    expect(phone.get_by_text("Received by:")).to_be_visible()
    expect(phone.get_by_role("status").filter(has_text="Received")).to_be_visible()
    phone.get_by_label("Message").fill("My father collapsed")
    phone.get_by_role("button", name="Send", exact=True).click()
    expect(phone.locator("#chat-log").get_by_text("My father collapsed")).to_be_visible()
    check(phone)
    assert_no_japanese(phone)

    # The account page the start page links to.
    phone.goto(live_server.base_url + "/account")
    expect(phone.get_by_role("heading", level=1, name="Your account")).to_be_visible()
    assert_no_japanese(phone)

    # Remembered: the next visit is in English too.
    phone.goto(live_server.base_url + "/")
    expect(phone.get_by_role("heading", level=1, name="What happened?")).to_be_visible()
    expect(phone.get_by_role("link", name="日本語")).to_be_visible()
