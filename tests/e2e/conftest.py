"""Browser fixtures: Debian's chromium driven by Playwright, and axe-core scans."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE.read_text() if AXE.exists() else "throw new Error('axe-core is not installed: npm ci')"
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


def wait_as_a_person_would(control):
    """Let pass what is left of the moment after the step that sends the report appears, in which
    static/js/app.js lets its buttons take no tap (the second tap of a double tap on the step before
    lands there). No person reads the step and answers it sooner; a test can."""
    # Timed here, not by a timer in the page: a page with scripts off runs no timers.
    left = control.evaluate("c => c.form && c.form._net119ShownAt ? 600 - (Date.now() - c.form._net119ShownAt) : 0")
    if left > 0:
        control.page.wait_for_timeout(left)


def tap_to_send(button):
    """A resident's tap on the step that sends the report, made as a person makes it."""
    wait_as_a_person_would(button)
    button.click()


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
    """A ``make(**options)`` for devices on ``browser``, the contexts it made (to close), and
    what went wrong in their pages (``assert_no_page_problems``)."""
    contexts, problems = [], []

    def make(**options):
        context = browser.new_context(locale="ja-JP", **options)
        context.set_default_timeout(10_000)
        context.on("console", lambda message: _note_policy_violation(message, problems))
        context.on("weberror", lambda error: problems.append(f"uncaught script error: {error.error}"))
        contexts.append(context)
        return context

    make.page_problems = problems  # for a test that provokes one on purpose
    return make, contexts, problems


def _note_policy_violation(message, problems):
    # Chromium logs every refused script, style or connection as a console error.
    if message.type == "error" and "Content Security Policy" in message.text:
        page = message.page
        problems.append(f"{page.url if page else '?'}: {message.text}")


def assert_no_page_problems(problems):
    """A page that needs something the site's Content-Security-Policy refuses, or whose
    script throws, is broken for every resident who meets it."""
    assert problems == [], "policy violations or uncaught script errors:\n" + "\n".join(problems)


@pytest.fixture
def new_context(browser):
    """Make browser contexts (closed after the test); each is one device.

    The test fails if any of their pages was refused something by the site's
    Content-Security-Policy, or had a script error nothing caught.
    """
    make, contexts, problems = _context_maker(browser)
    yield make
    for context in contexts:
        context.close()
    assert_no_page_problems(problems)


@pytest.fixture
def new_context_with_back_forward_cache(playwright):
    """``new_context`` on a browser that keeps pages in the back/forward cache, as phones' do.

    Playwright turns that cache off by default; this browser is launched without the switch.
    """
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                         ignore_default_args=["--disable-back-forward-cache"])
    make, _, problems = _context_maker(browser)
    yield make
    browser.close()
    assert_no_page_problems(problems)


def axe_violations(page):
    """Run axe-core (WCAG 2.x A/AA rules) on the page; return the violations."""
    add_axe(page)
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
    add_axe(scanner)
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
    add_axe(page)
    violations = page.evaluate(_run_axe_script(iframes=True, disable=["meta-refresh"]), WCAG_TAGS)
    assert violations == [], f"axe-core violations on {frame_url}: {violations}"


def add_user_style(page, css):
    """Apply ``css`` on top of the page's styles, as a reader's own style sheet would.

    A <style> tag (``add_style_tag``) is refused by the site's policy; a constructed
    style sheet is not an inline style, and stands for what the reader's browser adds.
    """
    page.evaluate("""css => {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(css);
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    }""", css)


def remove_user_styles(page):
    page.evaluate("document.adoptedStyleSheets = []")


def add_axe(page):
    """Load axe-core into the page through the driver.

    A <script> tag with axe's text (``add_script_tag``) is an inline script, which the
    site's Content-Security-Policy rightly refuses; what the driver evaluates is not.
    """
    page.evaluate(AXE_SOURCE)


def _run_axe_script(iframes=True, disable=()):
    rules = ", ".join(f"'{rule}': {{enabled: false}}" for rule in disable)
    return ("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, iframes: %s, rules: {%s}})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, "
            "nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))") % (
                "true" if iframes else "false", rules)
