"""Addresses as people type them: a Japanese domain name, or the domain typed in full-width."""
import pytest

from app.extensions import db
from app.mail.addresses import InvalidAddress, normalise
from app.models import OutgoingMail

from .test_registration import post_form


@pytest.mark.parametrize("typed, address", [
    ("taro@例え.jp", "taro@xn--r8jz45g.jp"),             # an internationalised (IDN) domain
    ("hanako@ｄｏｃｏｍｏ．ｎｅ．ｊｐ", "hanako@docomo.ne.jp"),  # the IME left on after the '@'
    ("a..b@ＥＺＷＥＢ.ne.jp", "a..b@ezweb.ne.jp"),
])
def test_a_domain_typed_in_japanese_or_full_width_is_taken(typed, address):
    assert normalise(typed) == address


@pytest.mark.parametrize("typed", ["ｔａｒｏ@例え.jp", "taro@例え", "taro@例え..jp"])
def test_what_is_still_not_an_address_is_refused(typed):
    with pytest.raises(InvalidAddress):
        normalise(typed)


def test_the_web_form_sends_the_link_to_an_idn_address(app, client):
    assert post_form(client, "/register/", hq="chitose", email="taro@例え.jp").status_code == 303
    with app.app_context(), db.connection_context():
        assert OutgoingMail.get().to_address == "taro@xn--r8jz45g.jp"
