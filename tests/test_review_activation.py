"""Review of activation (SPEC §7.5): a link reopened after success does not alarm, and says what to do."""
import re
from urllib.parse import urlsplit

from app.extensions import db
from app.models import Application, OutgoingMail, utcnow
from app.registration import applications

from .conftest import form_fields
from .test_registration import LINK, VALID_APPLICATION


def activation_path(app):
    with app.test_request_context(), db.connection_context():
        application = Application.create(hq=1, email="new@example.jp", status="submitted",
                                         draft=VALID_APPLICATION, submitted_at=utcnow())
        applications.approve(application)
        mail = OutgoingMail.select().order_by(OutgoingMail.id.desc()).get()
    return urlsplit(LINK.search(mail.body).group(0)).path


def test_the_link_opened_again_on_the_phone_it_set_up_goes_to_the_start_page(app, client):
    """The mail's link opened again after the password is set: the phone is logged in, so let it in."""
    path = activation_path(app)
    data = {"csrf_token": form_fields(client.get(path))["csrf_token"], "password": "pass-word-1", "confirm": "pass-word-1"}
    assert client.post(path, data=data).headers["Location"] == "/"
    again = client.get(path)
    assert again.status_code == 303 and again.headers["Location"] == "/"


def test_a_used_link_on_another_device_is_refused_and_points_to_log_in(app, client):
    path = activation_path(app)
    data = {"csrf_token": form_fields(client.get(path))["csrf_token"], "password": "pass-word-1", "confirm": "pass-word-1"}
    assert client.post(path, data=data).status_code == 303
    other = app.test_client().get(path)
    assert other.status_code == 410 and "このリンクは使えません" in other.text
    assert re.search(r'href="/login"', other.text)
