"""The installable app in a real browser: installability, the app shell offline, an unsent report kept and sent once."""
import re
import sqlite3
import struct

import pytest
from playwright.sync_api import expect

from app import create_app
from app.auth import hash_password
from app.extensions import db
from app.models import Headquarters, Resident

from .conftest import CHROMIUM, CHROMIUM_ARGS, assert_accessible, log_in_resident, tap_to_send
from .test_accessibility import assert_big_enough, assert_reflows

pytestmark = pytest.mark.e2e

UNSENT = "通報はまだ送られていません。"
# The report this device keeps unsent, whoever it belongs to (one key per resident).
KEPT = ("Object.keys(localStorage).filter(k => k.startsWith('net119-unsent-report:'))"
        ".map(k => JSON.parse(localStorage.getItem(k)))[0] || null")


def wait_until_saved(page):
    """The worker controls the page and has saved the resident's pages (it says so)."""
    page.wait_for_function("() => document.documentElement.dataset.cardSaved === 'yes'", timeout=30_000)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def reports_with(server, client_id):
    with sqlite3.connect(f"file:{server.database}?mode=ro", uri=True) as db:
        return db.execute("SELECT count(*) FROM report WHERE client_id = ?", (client_id,)).fetchone()[0]


def second_resident(server):
    """Another resident of the demo HQ, written straight into the server's database."""
    account = {"login": "shared-phone-hanako", "password": "pass-word-2"}
    create_app({"DATABASE_URL": f"sqlite:///{server.database}", "SECRET_KEY": "unused"})
    with db.connection_context():
        if not Resident.select().where(Resident.login == account["login"]).exists():
            Resident.create(login=account["login"], password_hash=hash_password(account["password"]),
                            hq=Headquarters.get(code="chitose"), name="恵庭 花子", address="北海道恵庭市京町1番地")
    return account


def png_size(body):
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", body[16:24])


def test_the_app_is_installable(live_server, browser, tmp_path):
    # Installability is judged only in a persistent (non-incognito) profile.
    context = browser.browser_type.launch_persistent_context(
        tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_ARGS, locale="ja-JP")
    try:
        page = context.new_page()
        log_in_resident(page, live_server.base_url, live_server.account("residents"))
        wait_until_saved(page)
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [], manifest["errors"]
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []

        parsed = page.request.get(live_server.base_url + "/manifest.webmanifest").json()
        assert parsed["start_url"] == "/" and parsed["display"] == "standalone"
        assert re.search("[ぁ-んァ-ン]", parsed["short_name"])  # a Japanese short name
        purposes = {}
        for icon in parsed["icons"]:
            size = png_size(page.request.get(live_server.base_url + icon["src"]).body())
            assert f"{size[0]}x{size[1]}" == icon["sizes"], icon
            purposes.setdefault(icon["purpose"], set()).add(icon["sizes"])
        assert purposes == {p: {"192x192", "512x512"} for p in ("any", "maskable", "monochrome")}
    finally:
        context.close()


def test_a_repeat_visit_loads_the_shell_from_the_worker(live_server, new_context):
    phone = new_context().new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    wait_until_saved(phone)
    statics = []
    phone.on("response", lambda r: "/static/" in r.url and statics.append((r.url, r.from_service_worker)))
    phone.reload()
    expect(phone.get_by_role("button", name=re.compile("^火事"))).to_be_visible()
    phone.wait_for_load_state("load")
    assert statics, "the page loads no static file?"
    assert [url for url, from_worker in statics if not from_worker] == []


def test_offline_the_start_page_opens_and_other_pages_say_so(live_server, new_context):
    context, phone = resident_phone(live_server, new_context)

    context.set_offline(True)
    phone.goto(live_server.base_url + "/")
    expect(phone.get_by_role("button", name=re.compile("^火事"))).to_be_visible()
    # Said at once, with the other ways to call for help.
    alert = phone.get_by_role("alert").filter(has_text="通信できません。")
    expect(alert).to_be_visible()
    expect(alert.get_by_text("周りの人に、119番に電話してもらう")).to_be_visible()
    assert_accessible(phone)
    assert_big_enough(phone)

    # A page never saved: the offline page, from the worker's cache, styled.
    phone.goto(live_server.base_url + "/account")
    expect(phone.get_by_role("heading", level=1, name=re.compile("通信できません"))).to_be_visible()
    expect(phone.get_by_role("heading", name=re.compile("ほかの通報方法")).first).to_be_visible()
    assert phone.evaluate("getComputedStyle(document.body).fontSize") == "18px"
    assert_accessible(phone)
    # The card works from there.
    phone.get_by_role("link", name=re.compile("周りの人に見せる")).click()
    expect(phone.get_by_role("heading", level=1, name=re.compile("代わりに119番に電話してください"))).to_be_visible()

    context.set_offline(False)
    phone.goto(live_server.base_url + "/")
    expect(phone.get_by_role("alert").filter(has_text="通信できません。")).to_have_count(0)


def test_a_report_made_offline_is_kept_and_sent_once_when_online(served, new_context):
    live_server = served()  # its own database: the reports it opens must not reach other tests
    context, phone = resident_phone(live_server, new_context)
    posts = []
    context.on("request", lambda r: r.method == "POST" and r.url.endswith("/reports") and posts.append(r.url))

    # Opened with no network at all: the saved start page, then the two taps.
    context.set_offline(True)
    phone.goto(live_server.base_url + "/")
    phone.get_by_role("button", name=re.compile("^火事")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))
    unsent = phone.get_by_role("alert").filter(has_text=UNSENT)
    expect(unsent).to_be_visible()
    expect(unsent.get_by_text(re.compile("^この端末に保存しました。通信が戻ると自動で送ります"))).to_be_visible()
    expect(unsent.get_by_text("FAXで119番に送る")).to_be_visible()
    assert_accessible(phone)
    assert_big_enough(phone)
    assert_reflows(phone)
    # A panicked second tap waits with the first: the same report, not a second one.
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))
    kept = phone.evaluate(KEPT)
    assert ["kind", "fire"] in kept["fields"] and ["place", "home"] in kept["fields"]

    # Kept on the device: a reload (still offline) still shows it and still holds it.
    phone.reload()
    expect(phone.get_by_role("alert").filter(has_text=UNSENT)).to_be_visible()
    assert reports_with(live_server, kept["id"]) == 0

    context.set_offline(False)
    expect(phone).to_have_url(re.compile(r"/reports/\d{6}-\d{4}$"), timeout=20_000)
    expect(phone.get_by_text("受信した消防本部")).to_be_visible()
    assert reports_with(live_server, kept["id"]) == 1
    assert phone.evaluate(KEPT) is None
    expect(phone.get_by_role("alert").filter(has_text=UNSENT)).to_have_count(0)
    # Online, a later page view sends nothing more.
    phone.goto(live_server.base_url + "/")
    expect(phone.get_by_role("button", name=re.compile("^火事"))).to_be_visible()
    phone.wait_for_timeout(1000)
    assert reports_with(live_server, kept["id"]) == 1
    assert len(posts) >= 1


def test_a_report_the_server_could_not_take_is_resent_with_the_same_id(served, new_context):
    live_server = served()  # its own database: the reports it opens must not reach other tests
    # The network is up but the server (or a proxy in front of it) fails: 503, then it recovers.
    context = new_context()
    phone = context.new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    failing = {"on": True}
    sent_ids = []

    def server_in_trouble(route):
        sent_ids.append(re.search(r"client_id=([\w-]+)", route.request.post_data).group(1))
        if failing["on"]:
            route.fulfill(status=503, body="<html><body><main id=main>down</main></body></html>",
                          content_type="text/html")
        else:
            route.continue_()

    context.route(re.compile(r"/reports$"), server_in_trouble)
    phone.get_by_role("button", name=re.compile("^救急")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))
    expect(phone.get_by_role("alert").filter(has_text=UNSENT)).to_be_visible()
    failing["on"] = False
    expect(phone).to_have_url(re.compile(r"/reports/\d{6}-\d{4}$"), timeout=20_000)
    assert len(set(sent_ids)) == 1 and len(sent_ids) >= 2
    assert reports_with(live_server, sent_ids[0]) == 1


def resident_phone(server, new_context, account=None, **options):
    """A new browser context (made with ``options``) with a resident logged in and the app saved by its worker."""
    context = new_context(**options)
    phone = context.new_page()
    log_in_resident(phone, server.base_url, account or server.account("residents"))
    wait_until_saved(phone)
    return context, phone


def queue_a_report_offline(context, phone, base_url):
    """Offline: the two taps; returns the kept report."""
    context.set_offline(True)
    phone.goto(base_url + "/")
    phone.get_by_role("button", name=re.compile("^救急")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^自宅")))
    expect(phone.get_by_role("alert").filter(has_text=UNSENT)).to_be_visible()
    return phone.evaluate(KEPT)


def test_a_kept_report_is_sent_when_the_app_is_next_opened(served, new_context):
    live_server = served()  # its own database: the reports it opens must not reach other tests
    context, phone = resident_phone(live_server, new_context)
    kept = queue_a_report_offline(context, phone, live_server.base_url)
    phone.close()

    context.set_offline(False)
    again = context.new_page()
    again.goto(live_server.base_url + "/")
    expect(again).to_have_url(re.compile(r"/reports/\d{6}-\d{4}$"), timeout=20_000)
    assert reports_with(live_server, kept["id"]) == 1


def test_the_resident_can_withdraw_a_kept_report(served, new_context):
    live_server = served()  # its own database: the reports it opens must not reach other tests
    context, phone = resident_phone(live_server, new_context)
    kept = queue_a_report_offline(context, phone, live_server.base_url)

    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name=re.compile("^送るのをやめる")).click()
    expect(phone.get_by_role("alert").filter(has_text=UNSENT)).to_have_count(0)
    assert phone.evaluate(KEPT) is None
    context.set_offline(False)
    phone.wait_for_timeout(6000)  # longer than a retry interval
    assert reports_with(live_server, kept["id"]) == 0
    expect(phone).to_have_url(re.compile(r"/(\?kind=ambulance)?$"))


def test_a_new_worker_deletes_the_caches_of_old_ones(live_server, new_context):
    phone = new_context().new_page()
    log_in_resident(phone, live_server.base_url, live_server.account("residents"))
    wait_until_saved(phone)
    version = re.search(r'"version": "(\w+)"', phone.request.get(live_server.base_url + "/sw.js").text()).group(1)
    assert sorted(phone.evaluate("caches.keys()")) == ["net119-resident-v1", f"net119-shell-{version}"]

    # What an older worker left behind, then a new worker installing and taking over.
    phone.evaluate("caches.open('net119-shell-0ld').then(c => c.put('/static/css/app.css', new Response('old')))")
    phone.evaluate("navigator.serviceWorker.getRegistration().then(r => r.unregister())")
    phone.reload()
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
    phone.wait_for_function("() => caches.keys().then(k => !k.includes('net119-shell-0ld'))")
    assert sorted(phone.evaluate("caches.keys()")) == ["net119-resident-v1", f"net119-shell-{version}"]


def test_on_a_shared_phone_a_kept_report_waits_for_its_own_resident(served, new_context):
    live_server = served()  # its own database: the reports it opens must not reach other tests
    owner, other = live_server.account("residents"), second_resident(live_server)
    context, phone = resident_phone(live_server, new_context, owner)
    kept = queue_a_report_offline(context, phone, live_server.base_url)
    phone.close()

    # Someone else logs in on the same phone: the report is neither shown nor sent as theirs.
    context.set_offline(False)
    context.clear_cookies()
    phone = context.new_page()
    log_in_resident(phone, live_server.base_url, other)
    phone.wait_for_timeout(6000)  # longer than a retry interval
    expect(phone.get_by_role("alert").filter(has_text=UNSENT)).to_have_count(0)
    assert reports_with(live_server, kept["id"]) == 0

    # Its own resident is back: sent.
    context.clear_cookies()
    log_in_again = context.new_page()
    log_in_again.goto(live_server.base_url + "/login")
    log_in_again.get_by_label(re.compile("ID")).fill(owner["login"])
    log_in_again.get_by_label("パスワード").fill(owner["password"])
    log_in_again.get_by_role("button", name="ログイン").click()
    expect(log_in_again).to_have_url(re.compile(r"/reports/\d{6}-\d{4}$"), timeout=20_000)
    assert reports_with(live_server, kept["id"]) == 1


def test_place_first_reporting_works_offline_too(served, new_context):
    server = served()  # its own database: the HQ setting must not reach the other journeys
    with sqlite3.connect(server.database) as database:
        database.execute("UPDATE headquarters SET tap_order = 'place-first' WHERE code = 'chitose'")
    context = new_context()
    phone = context.new_page()
    phone.goto(server.base_url + "/login")
    phone.get_by_label(re.compile("ID")).fill(server.account("residents")["login"])
    phone.get_by_label("パスワード").fill(server.account("residents")["password"])
    phone.get_by_role("button", name="ログイン").click()
    expect(phone.get_by_role("heading", name=re.compile("^どこですか？"))).to_be_visible()
    wait_until_saved(phone)

    context.set_offline(True)
    phone.goto(server.base_url + "/")
    phone.get_by_role("button", name=re.compile("^自宅")).click()
    tap_to_send(phone.get_by_role("button", name=re.compile("^火事")))
    expect(phone.get_by_role("alert").filter(has_text=UNSENT)).to_be_visible()
    kept = phone.evaluate(KEPT)
    assert ["kind", "fire"] in kept["fields"] and ["place", "home"] in kept["fields"]

    context.set_offline(False)
    expect(phone).to_have_url(re.compile(r"/reports/\d{6}-\d{4}$"), timeout=20_000)
    with sqlite3.connect(server.database) as database:
        assert database.execute("SELECT count(*) FROM report WHERE client_id = ?", (kept["id"],)).fetchone()[0] == 1
