"""The installable app: web manifest, service worker and offline page (SPEC §2, §3.5)."""
import hashlib
import hmac
import json
from functools import cache
from pathlib import Path

from flask import current_app, render_template, url_for

from ..auth import current_resident
from ..models import REPORT_KINDS
from ..proxy.views import card_worker_settings
from . import bp

THEME_COLOUR = "#9c0000"  # --fire in static/css/app.css, the header's rule
# The app shell: what the start page needs to load and work with no network.
SHELL_STATIC = ("css/app.css", "js/app.js", "js/offline.js", "js/sw-register.js", "js/fallback.js",
                "js/proxy.js", "vendor/htmx/htmx.min.js", "vendor/htmx/ws.min.js",
                "icons/icon-192.png", "icons/favicon-32.png")
bp.add_app_template_global(THEME_COLOUR, "THEME_COLOUR")
ICONS = [("icon-192.png", "192x192", "any"), ("icon-512.png", "512x512", "any"),
         ("maskable-192.png", "192x192", "maskable"), ("maskable-512.png", "512x512", "maskable"),
         ("monochrome-192.png", "192x192", "monochrome"), ("monochrome-512.png", "512x512", "monochrome")]


@bp.app_template_global()
def device_owner():
    """An opaque name for the logged-in resident, under which the page keeps an unsent report."""
    resident = current_resident()
    if resident is None:
        return ""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"unsent-report:{resident.id}".encode(), hashlib.sha256).hexdigest()[:24]


@bp.get("/manifest.webmanifest")
def web_manifest():
    """What a phone needs to install NET119 on its home screen."""
    start = url_for("report.start")
    manifest = {
        "id": start,
        "name": "NET119 ネット119緊急通報",
        "short_name": "ネット119",
        "description": "耳や言葉の不自由な方のための119番通報（火事・救急）",
        "lang": "ja",
        "dir": "ltr",
        "start_url": start,
        "scope": start,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [{"src": url_for("static", filename=f"icons/{name}"), "sizes": sizes,
                   "type": "image/png", "purpose": purpose} for name, sizes, purpose in ICONS],
    }
    response = current_app.response_class(json.dumps(manifest, ensure_ascii=False, indent=1),
                                          mimetype="application/manifest+json")
    response.cache_control.no_cache = True
    return response


@bp.get("/offline")
def offline():
    """Shown by the service worker when a page cannot be reached (kept in its cache)."""
    return render_template("offline.html")


def _start_pages():
    """The start page and its second-tap pages (kind first or place first, an HQ setting), saved ahead."""
    start = url_for("report.start")
    return ([start] + [url_for("report.start", kind=kind) for kind in REPORT_KINDS if kind != "unknown"]
            + [url_for("report.start", place=place) for place in ("home", "current")])


@cache
def _shell_version(static_folder, template_folder):
    """A digest of every static file and the offline page's templates: a new one installs a new worker.

    Static URLs carry no version, so the worker serves them from its cache; any change
    here changes the worker's bytes, the browser installs it, and it replaces the cache.
    """
    digest = hashlib.sha256()
    templates = Path(template_folder)
    files = (sorted(Path(static_folder).rglob("*")) + [templates / "offline.html", templates / "base.html"]
             + sorted((templates / "_partials").glob("*.html")))
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(path.parent.parent)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@bp.get("/sw.js")
def service_worker():
    """The service worker, from the root so that its scope covers the whole app."""
    settings = card_worker_settings()
    settings.update(
        version=_shell_version(current_app.static_folder, current_app.template_folder),
        shell=[url_for(".offline")] + [url_for("static", filename=name) for name in SHELL_STATIC],
        static=url_for("static", filename=""),
        offline=url_for(".offline"),
        start=url_for("report.start"),
        startPages=_start_pages(),
    )
    worker = Path(current_app.static_folder) / "js" / "sw.js"
    # The routes come from url_for, prepended, so the worker's source holds no paths of its own.
    source = f"self.NET119 = {json.dumps(settings)};\n{worker.read_text(encoding='utf-8')}"
    response = current_app.response_class(source, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = url_for("report.start")
    response.cache_control.no_cache = True
    return response
