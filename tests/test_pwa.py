"""The installable app's server side: web manifest, service worker settings, offline page."""
import json
import struct

from app.core.pwa import _shell_version

from .conftest import login_as


def test_the_manifest_makes_an_installable_japanese_app(client):
    answer = client.get("/manifest.webmanifest")
    assert answer.status_code == 200 and answer.mimetype == "application/manifest+json"
    manifest = answer.json
    assert manifest["start_url"] == "/" and manifest["scope"] == "/" and manifest["display"] == "standalone"
    assert manifest["short_name"] == "ネット119" and manifest["lang"] == "ja"
    assert manifest["theme_color"] == "#9c0000"
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as png:
            assert png.status_code == 200 and png.mimetype == "image/png"
            assert "{}x{}".format(*struct.unpack(">II", png.data[16:24])) == icon["sizes"]
    assert {icon["purpose"] for icon in manifest["icons"]} == {"any", "maskable", "monochrome"}


def test_every_page_links_the_manifest_and_the_theme_colour(client):
    page = client.get("/login").text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<meta name="theme-color" content="#9c0000">' in page


def test_the_worker_is_told_the_shell_and_the_start_pages(client):
    settings = json.loads(client.get("/sw.js").text.splitlines()[0].removeprefix("self.NET119 = ").rstrip(";"))
    assert {"/offline", "/static/css/app.css", "/static/js/offline.js",
            "/static/vendor/htmx/htmx.min.js"} <= set(settings["shell"])
    for url in settings["shell"]:
        with client.get(url) as answer:
            assert answer.status_code == 200, url
    assert settings["startPages"] == ["/", "/?kind=fire", "/?kind=ambulance", "/?kind=other",
                                      "/?place=home", "/?place=current"]
    assert settings["start"] == "/"
    assert settings["offline"] == "/offline" and settings["static"] == "/static/"
    assert len(settings["version"]) == 12


def test_the_shell_version_follows_the_static_files(tmp_path):
    (tmp_path / "static").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "static" / "app.css").write_text("body {}")
    before = _shell_version(str(tmp_path / "static"), str(tmp_path / "templates"))
    (tmp_path / "static" / "app.css").write_text("body { color: red }")
    _shell_version.cache_clear()
    assert _shell_version(str(tmp_path / "static"), str(tmp_path / "templates")) != before


def test_the_offline_page_needs_no_login_and_names_the_alternatives(client):
    page = client.get("/offline")
    assert page.status_code == 200
    assert "通信できません" in page.text and "No connection" in page.text
    assert "FAXで119番に送る" in page.text and 'href="/proxy"' in page.text


def test_the_offline_page_starts_no_session_so_it_cannot_undo_a_login(app, client):
    """The service worker fetches the shell as it installs, which is often while someone logs in.

    A shell fetch sent with the cookie of the session the login has just ended used to
    start a new session for its CSRF token; its Set-Cookie, arriving after the login's,
    replaced the new session in the browser and the next page was the login page again.
    The offline page is kept and shown to whoever uses the phone, so it has no session's
    token in it anyway.
    """
    page = client.get("/dispatch/login")
    before_login = client.get_cookie("net119_session").value
    login_as(client, next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose"), "/dispatch/login")

    shell_fetch = app.test_client()
    shell_fetch.set_cookie("net119_session", before_login)
    offline = shell_fetch.get("/offline")
    assert offline.status_code == 200 and page.status_code == 200
    assert "Set-Cookie" not in offline.headers
    assert "X-CSRFToken" not in offline.text and "csrf" not in offline.text.lower()
    assert client.get("/dispatch/").status_code == 200


def test_pages_carry_the_unsent_report_notice_for_the_script(client, app):
    login_as(client, app.accounts["residents"][0])
    page = client.get("/").text
    assert 'id="connection" class="connection" role="alert" data-owner="' in page
    assert '<template id="connection-unsent">' in page and "通報はまだ送られていません。" in page
    assert 'data-reports="/reports"' in page


def test_staff_pages_carry_no_resident_alternatives(client):
    assert 'id="connection"' in client.get("/login").text
    assert 'id="connection"' not in client.get("/dispatch/login").text
