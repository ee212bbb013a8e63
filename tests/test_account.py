"""Self-service (SPEC §7.6) and suspension by the HQ."""
import re

import pytest

from app.auth import verify_password
from app.extensions import db
from app.login_limits import BY_LOGIN_AT_ADDRESS
from app.models import FrequentPlace, Resident

from .conftest import form_fields, login_as, start_report
from .test_login_limits import post_login


def post_form(client, path, page="/account/", **data):
    token = form_fields(client.get(page))["csrf_token"]
    return client.post(path, data={"csrf_token": token, **data})


def resident(app):
    with app.app_context(), db.connection_context():
        return Resident.get(Resident.login == app.accounts["residents"][0]["login"])


def test_profile_edit_with_validation(app, client):
    login_as(client, app.accounts["residents"][0])
    bad = post_form(client, "/account/profile", address="", phone="abc")
    assert bad.status_code == 400 and "<title>エラー：" in bad.text and "住所を入力してください。" in bad.text
    assert post_form(client, "/account/profile", address="北海道千歳市美々", phone="090-1234-5678",
                     fax="", medical_history="", medication="なし").status_code == 303
    assert resident(app).address == "北海道千歳市美々" and resident(app).medication == "なし"


def test_password_change_logs_out_other_devices_only(app, client):
    account = app.accounts["residents"][0]
    other = app.test_client()
    login_as(client, account)
    login_as(other, account)
    wrong = post_form(client, "/account/password", current="nope", password="new password", confirm="new password")
    assert wrong.status_code == 400 and "今のパスワードが違います" in wrong.text
    changed = post_form(client, "/account/password", current=account["password"],
                        password="new password", confirm="new password")
    assert changed.status_code == 303
    assert verify_password(resident(app).password_hash, "new password")
    assert start_report(client).status_code == 303
    assert re.search(r"/login", other.get("/").headers.get("Location", ""))


def test_log_out_other_devices(app, client):
    account = app.accounts["residents"][0]
    lost_phone = app.test_client()
    login_as(lost_phone, account)
    login_as(client, account)
    assert post_form(client, "/account/devices").status_code == 303
    assert lost_phone.get("/").status_code == 302
    assert client.get("/").status_code == 200


def test_cancel_needs_confirmation_and_the_password_and_ends_every_session(app, client):
    account = app.accounts["residents"][0]
    login_as(client, account)
    assert post_form(client, "/account/cancel", current=account["password"]).status_code == 400
    # It cannot be undone: a phone left unlocked, in other hands, cannot do it.
    missing = post_form(client, "/account/cancel", confirm="y")
    assert missing.status_code == 400 and "パスワードを入力してください。" in missing.text
    wrong = post_form(client, "/account/cancel", confirm="y", current="nope")
    assert wrong.status_code == 400 and "今のパスワードが違います" in wrong.text
    assert "<title>エラー：" in wrong.text and "The current password is wrong." in wrong.text
    assert resident(app).status == "active"
    assert post_form(client, "/account/cancel", confirm="y", current=account["password"]).status_code == 303
    assert resident(app).status == "cancelled"
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("path, fields", [
    ("/account/password", {"password": "new password", "confirm": "new password"}),
    ("/account/cancel", {"confirm": "y"})])
def test_the_current_password_cannot_be_guessed_at_leisure(app, client, path, fields):
    account = app.accounts["residents"][0]
    login_as(client, account)
    for _ in range(BY_LOGIN_AT_ADDRESS.free):
        assert post_form(client, path, current="wrong-guess", **fields).status_code == 400

    refused = post_form(client, path, current=account["password"], **fields)
    assert refused.status_code == 429 and 25 <= int(refused.headers["Retry-After"]) <= 30
    assert "30秒ほど待って" in refused.text and "Wait 30 seconds" in refused.text
    assert "<title>エラー：" in refused.text
    assert verify_password(resident(app).password_hash, account["password"])
    assert resident(app).status == "active"
    # The guesses count as failed logins of the account from this address, as at the login form.
    assert post_login(app.test_client(), account["login"], account["password"],
                      address="127.0.0.1").status_code == 429


def test_hq_suspends_and_resumes_a_resident(app, client):
    login_as(client, app.accounts["residents"][0])
    admin = app.test_client()
    login_as(admin, next(a for a in app.accounts["admins"] if a["hq"] == "chitose"), path="/dispatch/login")
    target = resident(app)
    path = f"/admin/residents/{target.id}/status"
    assert post_form(admin, path, page="/admin/residents", status="suspended").status_code == 303
    assert resident(app).status == "suspended"
    assert client.get("/").status_code == 302
    assert post_form(admin, path, page="/admin/residents", status="active").status_code == 303
    assert resident(app).status == "active"


def test_another_hq_cannot_suspend(app):
    admin = app.test_client()
    login_as(admin, next(a for a in app.accounts["admins"] if a["hq"] != "chitose"), path="/dispatch/login")
    path = f"/admin/residents/{resident(app).id}/status"
    assert post_form(admin, path, page="/admin/residents", status="suspended").status_code == 404
    assert resident(app).status == "active"


def test_start_page_links_to_the_account_page_away_from_the_report_buttons(app, client):
    login_as(client, app.accounts["residents"][0])
    start = client.get("/").text

    link = re.search(r'<a href="(/account/)">登録内容の確認・変更', start)
    assert link and client.get(link.group(1)).status_code == 200
    # Below every report button, with the logout, where a stray tap costs nothing.
    assert start.index('value="ambulance"') < link.start()


def places_of(app):
    with app.app_context(), db.connection_context():
        return [(p.id, p.position, p.label, p.address, p.lat, p.lon)
                for p in FrequentPlace.select().join(Resident).where(
                    Resident.login == app.accounts["residents"][0]["login"]).order_by(FrequentPlace.position)]


def test_frequent_places_are_edited_in_place_and_emptied_slots_removed(app, client):
    login_as(client, app.accounts["residents"][0])
    before = places_of(app)
    page = client.get("/account/").text
    assert f'value="{before[0][2]}"' in page  # the form shows what is registered

    response = post_form(client, "/account/places", place1_label="職場", place1_address="千歳市千代田町7丁目",
                         place1_lat="42.82868", place1_lon="141.65234", place2_label="", place2_address="",
                         place3_label="実家", place3_address="恵庭市恵み野西2丁目")
    assert response.status_code == 303

    after = places_of(app)
    assert after[0] == (before[0][0], 1, "職場", "千歳市千代田町7丁目", 42.82868, 141.65234)
    assert [place[1:4] for place in after[1:]] == [(3, "実家", "恵庭市恵み野西2丁目")]
    buttons = re.findall(r'value="frequent-(\d+)" class="button button--place">([^<]+)</button>',
                         client.get("/?kind=fire").text)
    assert buttons == [(str(after[0][0]), "職場"), (str(after[1][0]), "実家")]


def test_frequent_place_errors_are_explained(app, client):
    login_as(client, app.accounts["residents"][0])
    before = places_of(app)
    response = post_form(client, "/account/places", place1_label="職場", place1_lat="42.82868")

    assert response.status_code == 400 and "<title>エラー：" in response.text
    assert "緯度と経度は両方入力してください" in response.text
    assert places_of(app) == before


def test_the_account_page_names_each_field_once(app, client):
    # Two forms on one page with fields of the same name: a label must still find its own field.
    login_as(client, app.accounts["residents"][0])
    ids = re.findall(r'\sid="([^"]+)"', client.get("/account/").text)
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []
    assert 'for="cancel-current"' in client.get("/account/").text
