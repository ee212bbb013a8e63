"""Every mail a resident gets is in Japanese first, then in short plain English with the same links.

The language a resident reads is not known when a mail is written (the English pages are a
cookie on one device), so each mail carries both. The mails go through a real SMTP relay.
"""
import re

import pytest

from app.extensions import db
from app.models import Application, Headquarters, Resident, utcnow
from app.admin import address_change
from app.registration import activation_mail, applications
from app.registration.links import send_application_link

from .test_activation_resend import age_the_mails
from .test_registration import LINK, VALID_APPLICATION, relay  # noqa: F401  (relay is a fixture)

ADDRESS = "hanako.@docomo.ne.jp"
ENGLISH_STARTS = "In English"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _application(status="submitted"):
    return Application.create(hq=Headquarters.get(Headquarters.code == "chitose"), email=ADDRESS,
                              status=status, draft=VALID_APPLICATION, submitted_at=utcnow())


def application_link(app):
    send_application_link(Headquarters.get(Headquarters.code == "chitose"), ADDRESS)


def application_received(app):
    applications.submit(_application(status="draft"), VALID_APPLICATION)


def approved(app):
    applications.approve(_application())


def activation_again(app):
    resident = applications.approve(_application())
    age_the_mails()
    admin = next(s for s in resident.hq.staff if s.role == "admin")
    activation_mail.resend(admin, Resident.get_by_id(resident.id))


def rejected(app):
    applications.reject(_application(), "管轄区域外のため、お住まいの消防本部に申請してください。")


def address_changed(app):
    resident = applications.approve(_application())
    Resident.update(status="active").where(Resident.id == resident.id).execute()
    admin = next(s for s in resident.hq.staff if s.role == "admin")
    # The notice to the old address, the one a resident who did not ask for the change still reads.
    address_change.change_address(admin, Resident.get_by_id(resident.id), "hanako.new@docomo.ne.jp")


MAILS = {
    "application_link": (application_link, ["registration"]),
    "application_received": (application_received, ["received"]),
    "approved": (approved, ["approved", "login ID"]),
    "activation_again": (activation_again, ["new link", "login ID", "no longer works"]),
    "rejected": (rejected, ["not approved", "reason"]),
    "address_changed": (address_changed, ["address", "changed", "did not ask"]),
}


def last_mail(app, relay, make):  # noqa: F811
    with app.test_request_context(), db.connection_context():
        make(app)
    return relay.messages_to(ADDRESS)[-1]


@pytest.mark.parametrize("name", MAILS)
def test_the_mail_is_in_japanese_first_then_in_plain_english(app, relay, name):  # noqa: F811
    make, words = MAILS[name]
    mail = last_mail(app, relay, make)
    body = mail.get_content()
    japanese, marker, english = body.partition(ENGLISH_STARTS)
    assert marker, f"{name}: no English part"
    assert JAPANESE.search(japanese) and len(japanese.strip()) > 20
    # The English part is English: no Japanese but the names the HQ wrote (its own name, a reason).
    plain = english.replace("千歳市消防本部", "")
    if name != "rejected":
        assert not JAPANESE.search(plain), f"{name}: Japanese in the English part: {plain}"
    for word in words:
        assert word.lower() in english.lower(), f"{name}: {word!r} not in the English part"
    # A link in the Japanese part is in the English part too, the same one.
    links = LINK.findall(body)
    assert LINK.findall(japanese) == LINK.findall(english)
    assert len(set(links)) <= 1


@pytest.mark.parametrize("name", MAILS)
def test_the_subject_is_bilingual_and_short(app, relay, name):  # noqa: F811
    make, _ = MAILS[name]
    subject = last_mail(app, relay, make)["Subject"]
    japanese, slash, english = subject.partition(" / ")
    assert slash and subject.startswith("【NET119】") and JAPANESE.search(japanese)
    assert english and english.isascii() and len(english) <= 30
    assert len(subject) <= 50


def test_the_login_id_and_the_days_are_in_both_parts(app, relay):  # noqa: F811
    mail = last_mail(app, relay, approved).get_content()
    japanese, _, english = mail.partition(ENGLISH_STARTS)
    with db.connection_context():
        login = Resident.select().order_by(Resident.id.desc()).get().login
    days = app.config["ACTIVATION_LINK_MAX_AGE"].days
    assert login in japanese and login in english
    assert f"{days}日" in japanese and f"{days} days" in english


def test_the_rejection_gives_the_hqs_fax_in_both_parts(app, relay):  # noqa: F811
    with db.connection_context():
        Headquarters.update(fax="0123-45-6789").where(Headquarters.code == "chitose").execute()
    mail = last_mail(app, relay, rejected).get_content()
    japanese, _, english = mail.partition(ENGLISH_STARTS)
    assert "0123-45-6789" in japanese and "0123-45-6789" in english
    assert "管轄区域外のため" in japanese
