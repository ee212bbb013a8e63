"""Browser fixtures: Debian's chromium driven by Playwright, and axe-core scans."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# This machine has no network: without these, chromium keeps trying to reach Google.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
IN_CHITOSE = {"latitude": 42.82102, "longitude": 141.65088, "accuracy": 18}


def log_in(page, base_url, account, path="/login"):
    """Log in through the login form at ``path`` (residents' by default)."""
    page.goto(base_url + path)
    page.get_by_label(re.compile("ID")).fill(account["login"])
    page.get_by_label("パスワード").fill(account["password"])
    page.get_by_role("button", name="ログイン").click()


def log_in_resident(page, base_url, account):
    """Log a resident in and wait for the start page's report buttons."""
    log_in(page, base_url, account)
    expect(page.get_by_role("button", name=re.compile("^火事"))).to_be_visible()


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def _context_maker(browser):
    """A ``make(**options)`` for devices on ``browser``, and the contexts it made (to close)."""
    contexts = []

    def make(**options):
        context = browser.new_context(locale="ja-JP", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    return make, contexts


@pytest.fixture
def new_context(browser):
    """Make browser contexts (closed after the test); each is one device."""
    make, contexts = _context_maker(browser)
    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def new_context_with_back_forward_cache(playwright):
    """``new_context`` on a browser that keeps pages in the back/forward cache, as phones' do.

    Playwright turns that cache off by default; this browser is launched without the switch.
    """
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                         ignore_default_args=["--disable-back-forward-cache"])
    make, _ = _context_maker(browser)
    yield make
    browser.close()


def axe_violations(page):
    """Run axe-core (WCAG 2.x A/AA rules) on the page; return the violations."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(_run_axe_script(), WCAG_TAGS)


def assert_accessible(page):
    """Fail with the list of axe-core violations, if any."""
    violations = axe_violations(page)
    assert violations == [], f"axe-core violations on {page.url}: {violations}"


def assert_accessible_without_js(page, new_context):
    """Scan what a no-JavaScript browser shows.

    axe-core is JavaScript and cannot run while scripts are off, so the DOM
    the no-JS page built (with its <noscript> content) is served, scripts
    removed, at the same URL to a scripted page and scanned there. The
    self-refreshing message frame inside is scanned on its own
    (``assert_log_frame_accessible``).
    """
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S | re.I)
    html = re.sub(r"</?noscript>", "", html, flags=re.I)
    scanner = new_context().new_page()
    scanner.route(page.url, lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"))
    scanner.goto(page.url)
    scanner.add_script_tag(path=str(AXE))
    violations = scanner.evaluate(_run_axe_script(iframes=False), WCAG_TAGS)
    assert violations == [], f"axe-core violations (no JavaScript) on {page.url}: {violations}"


def assert_log_frame_accessible(new_context, device, frame_url):
    """Scan the no-JavaScript message frame.

    Its <meta http-equiv="refresh"> is the design SPEC §3.6 asks for when
    JavaScript is off (axe's meta-refresh rule flags any timed refresh), so
    that one rule is not applied here; every other rule is. It is scanned in a
    scripted context that carries ``device``'s session.
    """
    page = new_context(storage_state=device.storage_state()).new_page()
    page.goto(frame_url)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(_run_axe_script(iframes=True, disable=["meta-refresh"]), WCAG_TAGS)
    assert violations == [], f"axe-core violations on {frame_url}: {violations}"


def _run_axe_script(iframes=True, disable=()):
    rules = ", ".join(f"'{rule}': {{enabled: false}}" for rule in disable)
    return ("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, iframes: %s, rules: {%s}})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, "
            "nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))") % (
                "true" if iframes else "false", rules)
