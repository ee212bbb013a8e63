"""Frequent places on the application: the address as typed, and a point picked on a map or typed as text."""
import pytest

from app.extensions import db
from app.models import Application, FrequentPlace, Headquarters
from app.registration import applications
from app.registration.links import application_token

from .test_registration import VALID_APPLICATION, post_form

PLACE = {"place1_label": "職場", "place1_address": "千歳市千代田町7丁目 イオン千歳店 2階の奥",
         "place1_lat": "42.82868", "place1_lon": "141.65234"}


@pytest.fixture
def apply_path(app):
    """The application form's path for a new applicant to the Chitose HQ."""
    with app.test_request_context(), db.connection_context():
        token = application_token(Headquarters.get(Headquarters.code == "chitose"), "hanako@example.jp")
    return f"/register/apply/{token}"


def approve(app):
    """Approve the applicant's submitted application; return their frequent places."""
    with app.test_request_context(), db.connection_context():
        application = Application.get(Application.email == "hanako@example.jp")
        resident = applications.approve(application)
        return [(p.label, p.address, p.lat, p.lon) for p in resident.places.order_by(FrequentPlace.position)]


def test_typed_coordinates_and_the_address_as_typed_are_registered(app, client, apply_path):
    response = post_form(client, apply_path, action="submit", **{**VALID_APPLICATION, **PLACE})
    assert response.status_code == 303

    assert approve(app) == [("職場", "千歳市千代田町7丁目 イオン千歳店 2階の奥", 42.82868, 141.65234)]


def test_full_width_digits_from_a_japanese_keyboard_are_read(app, client, apply_path):
    typed = {**PLACE, "place1_lat": "４２．８２８６８", "place1_lon": "１４１．６５２３４"}
    assert post_form(client, apply_path, action="submit", **{**VALID_APPLICATION, **typed}).status_code == 303
    assert approve(app)[0][2:] == (42.82868, 141.65234)


def test_a_place_without_a_point_is_registered_by_its_address(app, client, apply_path):
    assert post_form(client, apply_path, action="submit", **VALID_APPLICATION).status_code == 303
    assert approve(app) == [("職場", "北海道千歳市千代田町7丁目", None, None)]


@pytest.mark.parametrize("change, message", [
    ({"place1_lon": ""}, "緯度と経度は両方入力してください"),
    ({"place1_lat": "北緯42度"}, "緯度は 42.82102 のように、20から46までの数字で入力してください"),
    ({"place1_lon": "200"}, "経度は 141.65088 のように、122から154までの数字で入力してください"),
    ({"place1_lat": "nan"}, "緯度は 42.82102 のように"),
    ({"place1_lat": "41.5", "place1_lon": "143.5"}, "この座標は日本国内の陸地ではありません"),
    ({"place1_label": "", "place1_address": ""}, "地図で選んだ場所に、名前をつけてください"),
])
def test_wrong_coordinates_are_explained_and_kept_in_the_draft(app, client, apply_path, change, message):
    typed = {**VALID_APPLICATION, **PLACE, **change}
    response = post_form(client, apply_path, action="submit", **typed)

    assert response.status_code == 400
    assert "<title>エラー：" in response.text and message in response.text
    with app.app_context(), db.connection_context():
        draft = Application.get(Application.email == "hanako@example.jp").draft
    assert (draft["place1_lat"], draft["place1_lon"]) == (typed["place1_lat"], typed["place1_lon"])


def test_the_map_is_offered_over_the_text_fields(app, client, apply_path):
    page = client.get(apply_path).text
    # Text fields first: the map picker is hidden until the script shows it.
    assert page.index('id="place1_lat"') < page.index("data-map-picker")
    assert f'data-tile-url="{app.config["TILE_URL"]}"' in page
    assert page.count("data-map-picker") == 3 and "vendor/leaflet/leaflet.js" in page
