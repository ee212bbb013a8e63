"""/register: the device's position suggests the HQ through the routing of reports; the list still decides."""
import re

import pytest

from app.extensions import db
from app.models import Headquarters

CHITOSE = {"lat": "42.82102", "lon": "141.65088"}
ENIWA = {"lat": "42.88260", "lon": "141.57750"}


def selected(html):
    """The value of the selected HQ option, or None."""
    found = re.search(r'<option[^>]* selected value="([^"]*)"|<option[^>]* value="([^"]*)" selected', html)
    return found and (found.group(1) or found.group(2))


def test_without_a_position_nothing_is_chosen_for_the_applicant(client):
    page = client.get("/register/")
    assert page.status_code == 200 and selected(page.text) in (None, "")
    # The button is there for the script to show; without JavaScript it stays hidden.
    assert re.search(r'<div class="locate" data-locate-hq="/register/" hidden>', page.text)


def test_position_preselects_the_hq_that_routing_gives(client):
    page = client.get("/register/", query_string=ENIWA)
    assert page.status_code == 200
    assert selected(page.text) == "eniwa"
    assert "現在地（恵庭市）から「恵庭市消防本部」を選びました" in page.text


def test_htmx_asks_for_the_field_alone(client):
    fragment = client.get("/register/", query_string=CHITOSE, headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="hq-field">')
    assert selected(fragment.text) == "chitose" and "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


def test_an_hq_that_does_not_take_net119_is_not_chosen(app, client):
    with app.app_context(), db.connection_context():
        Headquarters.update(uses_service=False).where(Headquarters.code == "eniwa").execute()
    page = client.get("/register/", query_string=ENIWA)
    assert selected(page.text) in (None, "")
    assert "恵庭市消防本部は、まだNET119を受け付けていません" in page.text


@pytest.mark.parametrize("where", [{"lat": "35.68123", "lon": "139.76712"},  # Tokyo: no HQ in the demo
                                   {"lat": "41.50000", "lon": "143.50000"}])  # the Pacific
def test_a_position_without_an_hq_says_so(client, where):
    page = client.get("/register/", query_string=where)
    assert page.status_code == 200 and selected(page.text) in (None, "")
    assert "現在地から消防本部がわかりませんでした" in page.text


@pytest.mark.parametrize("where", [{"lat": "abc", "lon": "141.6"}, {"lat": "95", "lon": "141.6"},
                                   {"lat": "nan", "lon": "141.6"}, {"lat": "42.8", "lon": ""},
                                   {"lat": "42.8", "lon": "1e999"}])
def test_a_garbled_position_is_explained_not_a_crash(client, where):
    page = client.get("/register/", query_string=where)
    assert page.status_code == 400
    assert "<title>エラー：" in page.text and "一覧から選んでください" in page.text
    assert selected(page.text) in (None, "")


def test_the_applicant_can_still_choose_another_hq(client):
    from .conftest import form_fields

    page = client.get("/register/", query_string=CHITOSE)
    response = client.post("/register/", data={"csrf_token": form_fields(page)["csrf_token"],
                                                "hq": "eniwa", "email": "taro.@docomo.ne.jp"})
    assert response.status_code == 303
