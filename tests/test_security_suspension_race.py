"""A suspension the HQ makes while one of the resident's own saves is under way stands.

Saving the profile or a new password wrote the whole account row as the request had read
it, status included: a suspension (SPEC §7.6) made in between was silently undone, and the
password change even logged the suspended phone back in. Hashing a password takes a
noticeable time on purpose, so that window is real; a resident who keeps sending saves
could hold it open.
"""
import pytest

from app.account import views as account_views
from app.account.forms import ProfileForm
from app.admin import suspension
from app.auth import hash_password
from app.extensions import db
from app.models import Resident, Staff

from .conftest import form_fields, login_as


def suspend_now():
    """What the HQ's administrator does meanwhile (admin.resident_status)."""
    admin = Staff.get(Staff.login == "chitose-admin")
    assert suspension.set_suspended(admin, Resident.get(Resident.login == "chitose-taro"), True)


@pytest.fixture
def phone(app, client):
    login_as(client, app.accounts["residents"][0])
    return client


def status():
    with db.connection_context():
        return Resident.get(Resident.login == "chitose-taro").status


def test_a_password_change_does_not_undo_a_suspension_made_meanwhile(app, phone, monkeypatch):
    def slow_hash(password):
        suspend_now()
        return hash_password(password)

    monkeypatch.setattr(account_views, "hash_password", slow_hash)
    account = app.accounts["residents"][0]
    token = form_fields(phone.get("/account/"))["csrf_token"]
    phone.post("/account/password", data={"csrf_token": token, "current": account["password"],
                                          "password": "a new password", "confirm": "a new password"})
    assert status() == "suspended"
    assert phone.get("/").status_code == 302  # to the login: the phone is not let back in


def test_a_profile_save_does_not_undo_a_suspension_made_meanwhile(app, phone, monkeypatch):
    populate = ProfileForm.populate_obj

    def populate_as_the_hq_suspends(form, obj):
        suspend_now()
        populate(form, obj)

    monkeypatch.setattr(ProfileForm, "populate_obj", populate_as_the_hq_suspends)
    token = form_fields(phone.get("/account/"))["csrf_token"]
    phone.post("/account/profile", data={"csrf_token": token, "address": "北海道千歳市美々"})
    assert status() == "suspended"
    with db.connection_context():
        assert Resident.get(Resident.login == "chitose-taro").address == "北海道千歳市美々"
