"""The application form holds a person's disability, illnesses and address before any login:
no cache may keep it (a shared PC at a registration session, a proxy), as none keeps a logged-in page."""
import pytest

from app.extensions import db
from app.models import Application, Headquarters
from app.registration.links import application_token

from .conftest import form_fields

DRAFT = {"name": "申請 花子", "name_kana": "シンセイ ハナコ", "birth_date": "1970-01-01", "sex": "女性",
         "address": "北海道千歳市東雲町1丁目", "medical_history": "てんかん（キャッシュ確認用）"}


@pytest.fixture
def link(app):
    """The application link of a draft holding medical history."""
    with app.test_request_context(), db.connection_context():
        token = application_token(Headquarters.get(Headquarters.code == "chitose"), "cache-check@example.jp")
    path = f"/register/apply/{token}"
    assert app.test_client().get(path).status_code == 200  # the draft is made when the link is opened
    with db.connection_context():
        Application.update(draft=DRAFT).where(Application.email == "cache-check@example.jp").execute()
    return path


def test_the_application_form_with_its_draft_is_never_stored(client, link):
    answer = client.get(link)
    assert answer.status_code == 200
    assert "てんかん" in answer.text
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_application_form_refused_is_never_stored(client, link):
    token = form_fields(client.get(link))["csrf_token"]
    answer = client.post(link, data={"csrf_token": token, **DRAFT, "name": ""})
    assert answer.status_code == 400
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_submitted_application_is_never_stored(client, link):
    with db.connection_context():
        Application.update(status="submitted").where(Application.email == "cache-check@example.jp").execute()
    answer = client.get(link)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
