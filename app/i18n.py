"""Languages: Japanese by default, English on request, remembered on the device.

Strings are written in Japanese in the templates and code (``_("火事")``) and
translated in the Flask-Babel catalogue ``app/translations/en``; a string therefore
lives in one place per language. The choice is a cookie, not part of the login:
the start screen is used before anyone logs in, and a shared family phone keeps
the language its owner set.

Messages that must be read in both languages at once (errors, the proxy-call
card) keep their (Japanese, English) pairs; ``pick`` chooses from such a pair
where only one language is shown.
"""
from flask import request
from flask_babel import Babel, get_locale

LANGUAGES = {"ja": "日本語", "en": "English"}
DEFAULT_LANGUAGE = "ja"
COOKIE = "net119_lang"
# Remembered for about a year and a month, like the resident's login.
COOKIE_MAX_AGE = 400 * 24 * 3600

babel = Babel()


def select_language():
    """The device's remembered choice, else Japanese (SPEC §3: Japanese first)."""
    chosen = request.cookies.get(COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def current_language():
    """"ja" or "en" for the request being answered."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT_LANGUAGE


def pick(pair):
    """The current language's text from a ``(ja, en)`` pair."""
    return pair[1] if current_language() == "en" else pair[0]


def init_app(app):
    """Bind Babel (catalogues in translations/) and the template helpers."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    # Catalogues live in app/translations/ so that they ship with the package.
    babel.init_app(app, locale_selector=select_language)
    app.add_template_global(current_language)
    app.add_template_global(LANGUAGES, "LANGUAGES")
    app.add_template_filter(pick)

    @app.after_request
    def vary_on_language(response):
        # The same URL answers in either language, chosen by the cookie.
        if response.mimetype == "text/html":
            response.vary.add("Cookie")
        return response
