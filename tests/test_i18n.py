"""Japanese by default, English on request and remembered; the catalogue is complete and compiled."""
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from .test_auth import HOSTILE_NEXT

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "app" / "translations" / "en" / "LC_MESSAGES"


def test_japanese_is_the_default(client):
    page = client.get("/login")
    assert '<html lang="ja">' in page.text
    assert "本文へ移動" in page.text
    # The way to English is written in English, for someone who cannot read Japanese.
    assert 'lang="en" hreflang="en" hx-boost="false">English</a>' in page.text
    assert "Cookie" in page.headers["Vary"]


def test_the_hqs_own_pages_stay_in_japanese_whatever_a_resident_chose_on_the_computer(client):
    """The console and the administration are written in Japanese only: served as English they
    said lang="en" over Japanese (an English voice in a screen reader), with a switch to Japanese."""
    client.set_cookie("net119_lang", "en")
    assert '<html lang="en">' in client.get("/login").text
    for path in ("/dispatch/login", "/admin/"):
        page = client.get(path, follow_redirects=True).text
        assert '<html lang="ja">' in page and 'class="language-switch"' not in page, path


def test_english_is_chosen_by_a_link_and_remembered(client):
    switched = client.get("/language/en?next=/register/")
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/register/"
    cookie = switched.headers["Set-Cookie"]
    assert "net119_lang=en" in cookie and "Max-Age=" in cookie and "HttpOnly" in cookie
    page = client.get("/login")
    assert '<html lang="en">' in page.text
    assert "Skip to main content" in page.text and "本文へ移動" not in page.text
    assert 'lang="ja" hreflang="ja" hx-boost="false">日本語</a>' in page.text
    client.get("/language/ja?next=/")
    assert '<html lang="ja">' in client.get("/login").text


@pytest.mark.parametrize("target", [*HOSTILE_NEXT, ""])
def test_the_switch_never_redirects_off_site(client, target):
    switched = client.get("/language/en", query_string={"next": target})
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/"


def test_an_unknown_language_is_a_clear_404(client):
    answer = client.get("/language/xx?next=/")
    assert answer.status_code == 404
    assert "ページが見つかりません" in answer.text and "This page does not exist" in answer.text
    assert "Set-Cookie" not in answer.headers or "net119_lang" not in answer.headers["Set-Cookie"]


def test_a_forged_cookie_falls_back_to_japanese(client):
    client.set_cookie("net119_lang", "../../etc")
    assert '<html lang="ja">' in client.get("/login").text


def test_every_string_in_the_source_has_an_english_translation():
    """Extract afresh: a new ``_("…")`` without a translation fails here, naming it."""
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    wanted = set()
    for top in ("app", "templates"):  # babel.cfg's patterns, without walking .venv or node_modules
        directory_map = [(pattern.removeprefix(top + "/"), method) for pattern, method in method_map
                         if pattern.startswith(top + "/")]
        # Babel skips folders named _*, by default: templates/_partials/ must be read too.
        found = extract_from_dir(ROOT / top, directory_map, directory_filter=lambda d: not Path(d).name.startswith("."))
        wanted |= {message[2] for message in found if message[2]}
    with open(CATALOGUE / "messages.po", "rb") as f:
        translated = {m.id: m.string for m in read_po(f) if m.id}
    missing = sorted(i if isinstance(i, str) else i[0] for i in wanted
                     if not translated.get(i) or (isinstance(translated[i], tuple) and not all(translated[i])))
    assert not missing, "untranslated (run the commands in docs/translations.md): " + ", ".join(missing)


def test_the_compiled_catalogue_matches_the_source():
    with open(CATALOGUE / "messages.po", "rb") as f:
        source = {m.id: m.string for m in read_po(f) if m.id and m.string}
    with open(CATALOGUE / "messages.mo", "rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    assert compiled == source, "messages.mo is stale: pybabel compile -d app/translations"


def test_a_choice_of_language_in_a_template_is_made_for_each_request_not_once_when_it_is_compiled(app):
    """Jinja folds a filter of constants when it compiles a template: ``("…", "…")|pick`` was decided
    by whoever's request compiled it first. A Japanese page first, and an English resident was
    shown "Last practised: 2026年11月29日" ever after (the server's whole life)."""
    from .conftest import form_fields, login_as

    resident = app.test_client()
    login_as(resident, app.accounts["residents"][0])
    page = resident.get("/practice")
    resident.post("/practice/reports", data={**form_fields(page), "kind": "ambulance", "place": "current",
                                              "lat": "42.82", "lon": "141.65", "accuracy": "20"})
    assert re.search(r"最後に練習した日：\d{4}年\d{2}月\d{2}日", resident.get("/practice").text)
    resident.set_cookie("net119_lang", "en")
    english = resident.get("/practice").text
    assert re.search(r"Last practised: \d{2} [A-Z][a-z]{2} \d{4}", english), \
        re.search(r"Last practised[^<]*", english).group(0)
