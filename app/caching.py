"""Cache-Control for pages with personal data: stored nowhere, except on the resident's own phone.

A page answered to a logged-in resident or staff member names people, places and
illnesses. On the console's shared PC, or in a proxy's cache, a stored copy would
outlive the session that was allowed to see it.
"""
import functools

from flask import make_response, request, session

# The same for everyone, and kept by the service worker (app/core/pwa.py): left as they are.
SHELL_ENDPOINTS = {"static", "core.offline"}


def init_app(app):
    @app.after_request
    def personal_answers_are_not_stored(response):
        # A view that set its own Cache-Control has said how it may be kept (the proxy card, its audio...).
        if ("Cache-Control" not in response.headers and request.endpoint not in SHELL_ENDPOINTS
                and (session.get("resident_id") or session.get("staff_id"))):
            response.cache_control.no_store = True
        return response


def never_stored(view):
    """``no-store`` for a view whose pages are personal before anyone logs in (the application form).

    The after_request hook above knows a personal page by its session; the application form is
    opened from a mailed link, with no login, yet holds a disability, illnesses and an address.
    """
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.cache_control.no_store = True
        return response
    return wrapped


def kept_on_the_phone(view):
    """Let the resident's own browser keep the page (``private, no-cache``) instead of ``no-store``.

    For the pages a resident reports from, on their own phone: the service worker keeps
    the start pages for use with no network, and the back/forward cache, which browsers
    refuse to a no-store page, brings the chat back at once from the proxy-call card
    (tests/e2e/test_realtime.py). ``private``: no shared cache keeps them; ``no-cache``:
    asked afresh whenever the server can be reached.
    """
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.cache_control.private = True
        response.cache_control.no_cache = True
        return response
    return wrapped
