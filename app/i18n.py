"""Languages: Japanese by default, English on request, remembered on the device.

Strings are written in Japanese in the templates and code (``_("火事")``) and
translated in the Flask-Babel catalogue ``app/translations/en``; a string therefore
lives in one place per language. The choice is a cookie, not part of the login:
the start screen is used before anyone logs in, and a shared family phone keeps
the language its owner set.

Messages that must be read in both languages at once (errors, the proxy-call
card) keep their (Japanese, English) pairs; ``pick`` chooses from such a pair
where only one language is shown.

The big buttons and headings of the resident app carry a small English hint in the
Japanese UI, so that someone who cannot read Japanese still finds 「火事」 before they
find the language switch: ``{{ with_english(N_("火事")) }}``. ``N_`` only marks the
string for extraction; the hint comes from the same catalogue as the English UI.
"""
import re

from flask import request
from flask_babel import Babel, force_locale, get_locale, gettext
from jinja2 import pass_context
from markupsafe import Markup

LANGUAGES = {"ja": "日本語", "en": "English"}
DEFAULT_LANGUAGE = "ja"
COOKIE = "net119_lang"
# Remembered for about a year and a month, like the resident's login.
COOKIE_MAX_AGE = 400 * 24 * 3600

babel = Babel()


# The fire HQs' own pages are written in Japanese only, for Japanese staff: served as English
# (a resident's choice remembered on a shared computer) they would say lang="en" over Japanese,
# and a screen reader would read them with an English voice.
JAPANESE_ONLY_AREAS = ("dispatch", "admin")


def offers_languages():
    """Whether this page offers the choice of language (not the HQs' own pages)."""
    return request.blueprint not in JAPANESE_ONLY_AREAS


def select_language():
    """The device's remembered choice, else Japanese (SPEC §3: Japanese first)."""
    chosen = request.cookies.get(COOKIE, "")
    return chosen if chosen in LANGUAGES and offers_languages() else DEFAULT_LANGUAGE


def current_language():
    """"ja" or "en" for the request being answered."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT_LANGUAGE


def pick(pair):
    """The current language's text from a ``(ja, en)`` pair."""
    return pair[1] if current_language() == "en" else pair[0]


def mark(message):
    """``N_``: mark ``message`` for the catalogue and leave it as it is (gettext_noop)."""
    return message


def with_english(message, **variables):
    """``message`` in the current language, followed in Japanese by a small English hint.

    ``message`` is a msgid or a ``(ja, en)`` pair; so may a variable be (a kind of
    report, say), and each language then gets its own half.
    Japanese in the English (a name, a place's label) is marked ``lang="ja"``.
    """
    def half(value, index):
        return value[index] if isinstance(value, tuple) else value

    def filled(template, values):
        return Markup.escape(template) % values if values else Markup.escape(template)

    if isinstance(message, tuple):
        japanese, english = Markup.escape(message[0]), mark_japanese(message[1])
    else:
        japanese = filled(gettext(message), {k: half(v, 0) for k, v in variables.items()})
        with force_locale("en"):
            english = filled(gettext(message), {k: mark_japanese(half(v, 1)) for k, v in variables.items()})
    if current_language() != DEFAULT_LANGUAGE:
        return english
    return Markup('{} <span lang="en" class="en">{}</span>').format(japanese, english)


# A run of Japanese: kana, kanji and the full-width punctuation that goes with them, with
# any digits or spaces inside it ("東雲町2丁目", "千歳 花子").
_J = r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
_JAPANESE_RUN = re.compile(rf"{_J}(?:[{_J[1:-1]}0-9\s\-.]*{_J})?")


def mark_japanese(text):
    """``text`` escaped, each run of Japanese in it marked ``lang="ja"``."""
    text = Markup.escape("" if text is None else text)
    return Markup(_JAPANESE_RUN.sub(lambda run: f'<span lang="ja">{run.group(0)}</span>', text))


def as_written(text):
    """Text as someone wrote it: an HQ's name, a dispatcher's message, a place's label.

    On an English page its Japanese is marked ``lang="ja"``, so that a screen reader reads
    it with a Japanese voice (WCAG 3.1.2); on a Japanese page it is left as it is.
    """
    if current_language() == DEFAULT_LANGUAGE:
        return Markup.escape("" if text is None else text)
    return mark_japanese(text)


def script_text():
    """The words static/js/app.js writes on the page, in the current language."""
    return {
        "locating": gettext("現在地を取得しています…"),
        "located": gettext("現在地を取得しました（誤差 約%(accuracy)s m）"),
        "noGeolocation": gettext("この端末では現在地を取得できません。場所の説明を入力してください。"),
        "geoFailed": gettext("現在地を取得できません。自宅・登録した場所を選ぶか、場所の説明を入力してください。"),
        "locationSent": gettext("現在地を送りました（%(time)s）"),
        "locationSentWithAccuracy": gettext("現在地を送りました（%(time)s、誤差 約%(accuracy)s m）"),
        "sending": gettext("送信中"),
        "notArrived": gettext("まだ届いていません"),
        "read": gettext("既読"),
        "readNews": gettext("既読：送ったメッセージが読まれました"),
    }


def per_request(choose):
    """``choose`` as a template filter that decides in each request, never once for good.

    Jinja folds a filter of constants when it compiles the template (``("…", "…")|pick``),
    so a filter that reads the request's language would be decided by whichever request
    compiled the template first, for the server's whole life. A filter that takes the
    template's context is never folded.
    """
    @pass_context
    def filter_(context, value):
        return choose(value)
    return filter_


def init_app(app):
    """Bind Babel (catalogues in translations/) and the template helpers."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    # Catalogues live in app/translations/ so that they ship with the package.
    babel.init_app(app, locale_selector=select_language)
    app.add_template_global(current_language)
    app.add_template_global(LANGUAGES, "LANGUAGES")
    app.add_template_filter(per_request(pick), "pick")
    app.add_template_global(mark, "N_")
    app.add_template_global(with_english)
    app.add_template_filter(per_request(as_written), "as_written")
    app.add_template_filter(mark_japanese)
    app.add_template_global(script_text)
    app.add_template_global(offers_languages)

    @app.after_request
    def vary_on_language(response):
        # The same URL answers in either language, chosen by the cookie.
        if response.mimetype == "text/html":
            response.vary.add("Cookie")
        return response
