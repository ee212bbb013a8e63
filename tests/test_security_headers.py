"""Every answer carries the headers that keep other sites from framing or sniffing it, and a
Content-Security-Policy under which only this site's own script and style files run."""
import re

import pytest

from app.security_headers import content_security_policy

from .conftest import ROOT, login_as

HEADERS = {"X-Frame-Options": "SAMEORIGIN", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin"}


def directives(policy):
    """{"script-src": ["'self'"], …} from a policy header."""
    parsed = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        assert name not in parsed, f"{name} twice in {policy!r}"
        parsed[name] = sources
    return parsed


@pytest.mark.parametrize("path", ["/login", "/dispatch/", "/dispatch/login", "/offline", "/sw.js",
                                  "/static/js/app.js", "/healthz", "/no-such-page"])
def test_every_answer_carries_the_security_headers(app, client, path):
    login_as(client, next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose"),
             path="/dispatch/login")
    with client.get(path) as answer:  # a static file is streamed: closed here
        assert {name: answer.headers.get(name) for name in HEADERS} == HEADERS, (path, answer.status_code)
        policy = directives(answer.headers["Content-Security-Policy"])
        assert policy["frame-ancestors"] == ["'self'"], path


def test_scripts_and_styles_run_only_from_this_sites_files(client):
    policy = directives(client.get("/login").headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    # The map's tiles are the one thing loaded from another host.
    assert policy["img-src"] == ["'self'", "data:", "https://cyberjapandata.gsi.go.jp"]


def test_the_chat_socket_is_allowed_by_name_for_browsers_before_csp_level_3(client):
    policy = directives(client.get("/login", headers={"Host": "net119.example:8443"})
                        .headers["Content-Security-Policy"])
    assert policy["connect-src"] == ["'self'", "ws://net119.example:8443", "wss://net119.example:8443"]


@pytest.mark.parametrize("host", ["evil.example; script-src *", "a b", "x'y"])
def test_a_host_header_cannot_write_into_the_policy(client, host):
    policy = directives(client.get("/login", headers={"Host": host}).headers["Content-Security-Policy"])
    assert policy["connect-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]


@pytest.mark.parametrize("tile_url, allowed", [
    ("https://tiles.example.org/{z}/{x}/{y}.png", ["'self'", "data:", "https://tiles.example.org"]),
    ("https://{s}.tile.example.org/{z}/{x}/{y}.png", ["'self'", "data:", "https://*.tile.example.org"]),
    ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", ["'self'", "data:", "http://127.0.0.1:8080"]),
    ("/tiles/{z}/{x}/{y}.png", ["'self'", "data:"]),  # served by this site
    ("https://evil.example; script-src */{z}.png", ["'self'", "data:"]),
    ("javascript:alert(1)", ["'self'", "data:"]),
])
def test_the_tile_host_is_read_from_the_tile_url(tile_url, allowed):
    policy = directives(content_security_policy(tile_url))
    assert policy["img-src"] == allowed
    assert policy["script-src"] == ["'self'"]


INLINE = [
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"\shx-on[:-]", re.I), "an hx-on handler (htmx evaluates it)"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")", re.I), "an inline script"),
]


@pytest.mark.parametrize("template", sorted(p.relative_to(ROOT / "templates").as_posix()
                                            for p in (ROOT / "templates").rglob("*.html")))
def test_no_template_needs_what_the_policy_refuses(template):
    """The browser tests see only the pages they visit; this reads every template."""
    text = (ROOT / "templates" / template).read_text(encoding="utf-8")
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert found == [], f"{template} has {', '.join(found)}"
