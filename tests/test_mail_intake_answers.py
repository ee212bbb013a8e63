"""What the intake says when it refuses: a bounce on the applicant's phone must say where to go instead."""
import smtplib

import pytest

from .conftest import free_port
from .test_registration import send_empty_mail

PUBLIC_URL = "https://net119.example.jp"


@pytest.fixture
def intake(app):
    """The intake of a deployment at PUBLIC_URL."""
    from app.mail.intake import start_intake
    app.config.update(MAIL_DOMAIN="net119.test", PUBLIC_URL=PUBLIC_URL)
    controller = start_intake(app, port=free_port())
    yield controller
    controller.stop()


def test_an_unknown_intake_address_names_the_web_form_in_full(intake):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send_empty_mail(intake, "someone@example.jp", "r.nowhere@net119.test")
    code, text = refused.value.recipients["r.nowhere@net119.test"]
    assert code == 550 and f"{PUBLIC_URL}/register/".encode() in text


def test_a_sender_that_cannot_be_answered_is_given_the_web_form_in_full(intake):
    with smtplib.SMTP(intake.hostname, intake.port, timeout=5) as client:
        client.ehlo()
        client.mail("no-domain@localhost")
        assert client.rcpt("r.chitose@net119.test")[0] == 250
        code, text = client.data(b"")
    assert code == 550 and f"{PUBLIC_URL}/register/".encode() in text
