"""Review of registration: what an applicant types is accepted the whole way, to approval."""
from datetime import date

import pytest

from app.extensions import db
from app.models import Application, Resident

from .conftest import form_fields, login_as
from .test_registration import VALID_APPLICATION, outbox_link, post_form


@pytest.mark.parametrize("typed", ["1985/04/01", "1985/4/1", "１９８５－０４－０１", "１９８５／０４／０１", " 1985-04-01 "])
def test_a_birth_date_typed_on_a_feature_phone_can_be_approved(app, client, typed):
    """The form accepts the date as typed, and so does the approval that makes the resident of it."""
    email = "dates@example.jp"
    post_form(client, "/register/", hq="chitose", email=email)
    apply_path = outbox_link(app, email)
    assert post_form(client, apply_path, action="submit", **dict(VALID_APPLICATION, birth_date=typed)).status_code == 303

    admin = app.test_client()
    login_as(admin, next(a for a in app.accounts["admins"] if a["hq"] == "chitose"), path="/dispatch/login")
    [path] = [line.split('"')[1] for line in admin.get("/admin/applications").text.splitlines()
              if 'href="/admin/applications/' in line]
    decided = admin.post(path, data={"csrf_token": form_fields(admin.get(path))["csrf_token"], "action": "approve"})
    assert decided.status_code == 303
    with db.connection_context():
        assert Resident.get(Resident.email == email).birth_date == date(1985, 4, 1)


def test_a_stale_page_keeps_the_application_typed_and_takes_it_at_the_next_press(app, client):
    """Cookies cleared or another browser: the token is stale, but the signed link is the key to this
    application. The typed form comes back as it was, asking for one more press, and that press sends it."""
    email = "stale@example.jp"
    post_form(client, "/register/", hq="chitose", email=email)
    apply_path = outbox_link(app, email)
    phone = app.test_client()  # the link opened where the session that gave the token is not
    answer = phone.post(apply_path, data={"csrf_token": "stale", "action": "submit",
                                          **dict(VALID_APPLICATION, medical_history="ぜんそく（小児期から）")})
    assert answer.status_code == 400
    assert "画面の有効期限が切れていたため、まだ送っていません。" in answer.text and "<title>エラー：" in answer.text
    assert 'value="千歳 花子"' in answer.text and "ぜんそく（小児期から）" in answer.text
    again = phone.post(apply_path, data={"csrf_token": form_fields(answer)["csrf_token"], "action": "submit",
                                         **dict(VALID_APPLICATION, medical_history="ぜんそく（小児期から）")})
    assert again.status_code == 303
    with db.connection_context():
        assert Application.get(Application.email == email).status == "submitted"
