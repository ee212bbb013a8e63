"""The terms of use the application asks agreement to: there to read before agreeing,
the operator's own text where one is configured, and never a 500 for a bad file."""
import re

from app.models import Headquarters
from app.registration.links import application_token


def test_the_terms_are_there_to_read_from_both_registration_pages(client):
    page = client.get("/register/terms")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # What an applicant must know before agreeing: emergencies only, the position is sent,
    # it may not work (and what to do then), who sees their data.
    for words in ("緊急のときだけ", "現在地が消防本部に送られます", "FAXで119番", "通報を受けた消防本部", "消防法第44条"):
        assert words in text
    assert 'href="/register/terms"' in client.get("/register/").get_data(as_text=True)


def test_the_application_form_links_the_terms_in_a_new_tab(client, app):
    with app.app_context():
        token = application_token(Headquarters.get(Headquarters.code == "chitose"), "jiro@example.jp")
    form = client.get(f"/register/apply/{token}").get_data(as_text=True)
    link = re.search(r'<a href="/register/terms"[^>]*>([^<]+)</a>', form)
    assert link and 'target="_blank"' in link.group(0)
    assert "新しいタブで開きます" in link.group(1)  # said, so that a new tab is no surprise


def test_an_operators_own_terms_replace_the_built_in_text(client, app, tmp_path):
    terms = tmp_path / "terms.html"
    terms.write_text("<h2>第1条（目的）</h2><p>千歳市消防本部の規約です。</p>", encoding="utf-8")
    app.config["TERMS_FILE"] = str(terms)
    text = client.get("/register/terms").get_data(as_text=True)
    assert "<h2>第1条（目的）</h2><p>千歳市消防本部の規約です。</p>" in text
    assert "緊急のときだけ" not in text


def test_a_terms_file_that_cannot_be_read_shows_the_built_in_text(client, app, tmp_path, caplog):
    app.config["TERMS_FILE"] = str(tmp_path / "missing.html")
    page = client.get("/register/terms")
    assert page.status_code == 200 and "緊急のときだけ" in page.get_data(as_text=True)
    assert "TERMS_FILE" in caplog.text  # the operator learns of it from the log
    (tmp_path / "latin1.html").write_bytes("<p>caf\xe9</p>".encode("latin-1"))
    app.config["TERMS_FILE"] = str(tmp_path / "latin1.html")
    assert client.get("/register/terms").status_code == 200
