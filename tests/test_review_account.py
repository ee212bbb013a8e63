"""Review of the account page without JavaScript: after a post, the answer is where the eye is."""
import re

import pytest

from .conftest import form_fields, login_as

SECTIONS = {"/account/profile": "profile", "/account/places": "places", "/account/password": "password-change",
            "/account/devices": "devices", "/account/cancel": "cancel"}


def section(page, anchor):
    """The HTML of the page's section whose heading has id ``anchor``, up to the next heading."""
    start = page.index(f'<h2 id="{anchor}"')
    following = [at for other in SECTIONS.values() if (at := page.find(f'<h2 id="{other}"', start + 1)) != -1]
    return page[start:min(following, default=None)]


@pytest.fixture
def resident(app, client):
    login_as(client, app.accounts["residents"][0])
    return client


def test_every_form_posts_back_to_its_own_section(resident):
    """A long page on a phone: the reply to a form opens at that form, not at the top of the page."""
    page = resident.get("/account/").text
    for action, anchor in SECTIONS.items():
        assert f'action="{action}#{anchor}"' in page
        assert re.search(rf'<h2 id="{anchor}"', page)


@pytest.mark.parametrize("action, data, message", [
    ("/account/profile", {"address": ""}, "住所を入力してください。"),
    ("/account/places", {"place1_lat": "42.8"}, "緯度と経度は両方入力してください"),
    ("/account/password", {"current": "x", "password": "short", "confirm": "short"}, "8文字以上"),
    ("/account/cancel", {"current": "x"}, "確認のチェックを入れてください。"),
])
def test_an_error_is_shown_in_the_section_of_its_form(resident, action, data, message):
    token = form_fields(resident.get("/account/"))["csrf_token"]
    page = resident.post(action, data={"csrf_token": token, **data}).text
    assert message in section(page, SECTIONS[action])


@pytest.mark.parametrize("action, data, message", [
    ("/account/profile", {"address": "北海道千歳市美々"}, "登録内容を保存しました。"),
    ("/account/places", {}, "よく行く場所を保存しました。"),
    ("/account/devices", {}, "ほかの端末をすべてログアウトしました。"),
])
def test_a_change_is_confirmed_in_the_section_it_lands_on(resident, action, data, message):
    token = form_fields(resident.get("/account/"))["csrf_token"]
    done = resident.post(action, data={"csrf_token": token, **data})
    assert done.status_code == 303
    location = done.headers["Location"]
    assert location.endswith("#" + SECTIONS[action])
    assert message in section(resident.get(location).text, SECTIONS[action])
