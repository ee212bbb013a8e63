"""The tap order (SPEC §3.1) is an HQ setting: type first or place first; the second tap sends the report."""
import re

import pytest

from app.extensions import db
from app.models import Headquarters, Report

from .conftest import form_fields, login_as


def admin_of(app, hq="chitose"):
    client = app.test_client()
    login_as(client, next(a for a in app.accounts["admins"] if a["hq"] == hq), path="/dispatch/login")
    return client


def set_order(client, order):
    page = client.get("/admin/settings")
    return client.post("/admin/settings", data={"csrf_token": form_fields(page)["csrf_token"], "tap_order": order})


@pytest.fixture
def resident_client(app, client):
    login_as(client, app.accounts["residents"][0])  # a resident of chitose
    return client


def buttons(page, name):
    return re.findall(rf'name="{name}" value="([^"]+)"', page.text)


def test_an_administrator_sets_the_order_for_the_hq(app):
    admin = admin_of(app)
    page = admin.get("/admin/settings")
    assert page.status_code == 200
    assert re.search(r'<input checked[^>]*value="kind-first"', page.text)
    response = set_order(admin, "place-first")
    assert response.status_code == 303
    assert "保存しました" in admin.get(response.headers["Location"]).text
    with db.connection_context():
        assert Headquarters.get(code="chitose").tap_order == "place-first"
        assert Headquarters.get(code="sapporo").tap_order == "kind-first"  # another HQ's residents keep theirs
    assert 'href="/admin/settings"' in admin.get("/admin/").text


@pytest.mark.parametrize("value", ["", "random", "place-first; DROP TABLE"])
def test_a_wrong_order_is_refused_in_both_languages(app, value):
    admin = admin_of(app)
    response = set_order(admin, value)
    assert response.status_code == 400
    assert "通報ボタンの順番を選んでください。" in response.text and "Choose the order of the report buttons." in response.text
    assert "<title>エラー：" in response.text
    with db.connection_context():
        assert Headquarters.get(code="chitose").tap_order == "kind-first"


def test_dispatchers_and_residents_cannot_change_it(app, resident_client):
    dispatcher = app.test_client()
    login_as(dispatcher, next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose"), path="/dispatch/login")
    assert dispatcher.get("/admin/settings").status_code in (302, 403)
    assert resident_client.get("/admin/settings").status_code in (302, 403)


def test_place_first_asks_where_then_what_and_the_second_tap_sends(app, resident_client):
    set_order(admin_of(app), "place-first")
    first = resident_client.get("/")
    assert "どこですか？" in first.text
    assert buttons(first, "place")[:2] == ["home", "current"] and "fire" not in buttons(first, "kind")
    assert 'name="kind" value="unknown"' in first.text  # the one-tap path is on the first screen too
    second = resident_client.get("/?place=home")
    assert "自宅：何がありましたか？" in second.text and "<title>自宅：種類を選ぶ" in second.text
    assert buttons(second, "kind") == ["fire", "ambulance", "other"]
    assert 'name="place" value="home"' in second.text and "place_text" not in second.text
    response = resident_client.post("/reports", data={**form_fields(second), "place": "home", "kind": "ambulance"})
    assert response.status_code == 303
    with db.connection_context():
        report = Report.get()
        assert (report.kind, report.place_kind) == ("ambulance", "home")


def test_place_first_from_where_i_am_can_carry_a_description(app, resident_client):
    set_order(admin_of(app), "place-first")
    second = resident_client.get("/?place=current")
    assert 'name="place_text"' in second.text
    response = resident_client.post("/reports", data={**form_fields(second), "place": "current", "kind": "fire",
                                                      "place_text": "駅の北口", "lat": "42.82102", "lon": "141.65088"})
    assert response.status_code == 303
    with db.connection_context():
        assert Report.get().place_label == "駅の北口"


def test_place_first_errors_come_back_on_the_second_step(app, resident_client):
    set_order(admin_of(app), "place-first")
    second = resident_client.get("/?place=current")
    response = resident_client.post("/reports", data={**form_fields(second), "place": "current", "kind": "flood"})
    assert response.status_code == 400
    assert "通報の種類を選んでください" in response.text and "現在地）：何がありましたか？" in response.text


@pytest.mark.parametrize("place", ["moon", "frequent-99999", "frequent-x"])
def test_an_unknown_place_is_not_a_step(resident_client, place):
    assert resident_client.get("/", query_string={"place": place}).status_code == 400


def test_kind_first_is_the_default(resident_client):
    first = resident_client.get("/")
    assert buttons(first, "kind")[:3] == ["fire", "ambulance", "other"]
    assert "どこですか？" not in first.text


def test_practice_rehearses_the_same_order(app, resident_client):
    set_order(admin_of(app), "place-first")
    first = resident_client.get("/practice")
    assert "どこですか？" in first.text and 'action="/practice"' in first.text
    second = resident_client.get("/practice?place=home")
    assert "自宅：何がありましたか？" in second.text and 'action="/practice/reports"' in second.text
    response = resident_client.post("/practice/reports", data={**form_fields(second), "place": "home", "kind": "fire"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/practice/reports/")
    assert resident_client.get("/practice?place=frequent-99999").status_code == 400
    with db.connection_context():
        assert Report.select().count() == 0  # practice never reaches the real ledger
