"""Every answer carries the headers that keep other sites from framing or sniffing it."""
import pytest

from .conftest import login_as

HEADERS = {"Content-Security-Policy": "frame-ancestors 'self'", "X-Frame-Options": "SAMEORIGIN",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


@pytest.mark.parametrize("path", ["/login", "/dispatch/", "/dispatch/login", "/offline", "/sw.js",
                                  "/static/js/app.js", "/healthz", "/no-such-page"])
def test_every_answer_carries_the_security_headers(app, client, path):
    login_as(client, next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose"),
             path="/dispatch/login")
    with client.get(path) as answer:  # a static file is streamed: closed here
        assert {name: answer.headers.get(name) for name in HEADERS} == HEADERS, (path, answer.status_code)
