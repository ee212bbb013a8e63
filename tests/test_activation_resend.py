"""The HQ sends the activation mail again (SPEC §7.5): its state is shown, a new link replaces the old."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from app.extensions import db
from app.models import ActivationToken, Application, AuditEntry, Headquarters, OutgoingMail, Resident, utcnow
from app.registration import applications

from .conftest import form_fields, free_port, login_as
from .test_registration import LINK, VALID_APPLICATION, relay  # noqa: F401  (relay is a fixture)

EMAIL = "hanako.@docomo.ne.jp"
HUGE_ID = "9" * 30


def admin_of(app, hq):
    client = app.test_client()
    login_as(client, next(a for a in app.accounts["admins"] if a["hq"] == hq), path="/dispatch/login")
    return client


@pytest.fixture
def admin(app):
    return admin_of(app, "chitose")


def approved(app, email=EMAIL):
    """A resident of chitose approved a moment ago, not yet activated: its id and the mailed link's path."""
    with app.test_request_context(), db.connection_context():
        application = Application.create(hq=Headquarters.get(Headquarters.code == "chitose"), email=email,
                                         status="submitted", draft=VALID_APPLICATION, submitted_at=utcnow())
        resident = applications.approve(application)
    return resident.id, last_link(app, email)


def last_link(app, email=EMAIL):
    with app.app_context(), db.connection_context():
        mail = OutgoingMail.select().where(OutgoingMail.to_address == email).order_by(OutgoingMail.id.desc()).get()
    return urlsplit(LINK.search(mail.body).group(0)).path


def mails_to(email=EMAIL):
    with db.connection_context():
        return OutgoingMail.select().where(OutgoingMail.to_address == email).count()


def age_the_mails(by=timedelta(minutes=2)):
    """As if the last activation mail had been sent a while ago."""
    with db.connection_context():
        for mail in OutgoingMail.select():
            OutgoingMail.update(created_at=mail.created_at - by).where(OutgoingMail.id == mail.id).execute()


def resend(client, resident_id, **data):
    page = f"/admin/residents/{resident_id}"
    token = form_fields(client.get(page))["csrf_token"]
    return client.post(f"{page}/activation-mail", data={"csrf_token": token, **data})


def test_the_residents_list_leads_to_the_activation_mail_of_a_resident_not_yet_activated(app, admin):
    resident_id, _ = approved(app)
    listing = admin.get("/admin/residents").text
    assert f'href="/admin/residents/{resident_id}"' in listing
    page = admin.get(f"/admin/residents/{resident_id}")
    assert page.status_code == 200
    assert "有効化のメール" in page.text and EMAIL in page.text
    assert "有効化のメールを送り直す" in page.text


def test_the_approved_application_leads_to_its_resident(app, admin):
    resident_id, _ = approved(app)
    with db.connection_context():
        application_id = Application.get(Application.resident == resident_id).id
    assert f'href="/admin/residents/{resident_id}"' in admin.get(f"/admin/applications/{application_id}").text


def test_a_mail_not_sent_yet_says_so(app, admin):
    """Without a relay (or before the first attempt), the mail waits in the outbox."""
    resident_id, _ = approved(app)
    assert "まだ送信されていません" in admin.get(f"/admin/residents/{resident_id}").text


def test_a_mail_that_was_sent_says_when(app, admin, relay):  # noqa: F811
    resident_id, _ = approved(app)
    page = admin.get(f"/admin/residents/{resident_id}").text
    assert re.search(r"\d{4}/\d\d/\d\d \d\d:\d\dに送信しました", page)
    # What to tell a resident whose carrier filters mail from computers.
    assert "受信を許可" in page


def test_a_mail_that_fails_says_why_in_plain_japanese(app, admin):
    app.config["MAIL_RELAY"] = f"127.0.0.1:{free_port()}"  # nobody listens there
    resident_id, _ = approved(app)
    page = admin.get(f"/admin/residents/{resident_id}").text
    assert "送信できていません" in page and "メールサーバーにつながりません" in page
    assert "ConnectionRefusedError" in page  # the technical text too, for whoever looks after the relay


@pytest.mark.both_databases
def test_resending_issues_a_new_link_and_the_old_one_says_a_newer_mail_was_sent(app, admin, client):
    resident_id, old = approved(app)
    age_the_mails()
    before = mails_to()
    done = resend(admin, resident_id)
    assert done.status_code == 303
    assert done.headers["Location"].startswith(f"/admin/residents/{resident_id}")
    page = admin.get(done.headers["Location"]).text
    assert 'role="status"' in page and "有効化のメールを送り直しました。" in page
    assert "前のメールのリンクは使えなくなりました" in page
    assert mails_to() == before + 1
    new = last_link(app)
    assert new != old
    stale = client.get(old)
    assert stale.status_code == 410
    assert "新しいメールを送りました" in stale.text and "newer mail" in stale.text
    assert client.get(new).status_code == 200
    with db.connection_context():
        mail = OutgoingMail.select().order_by(OutgoingMail.id.desc()).get()
        login = Resident.get_by_id(resident_id).login
        assert login in mail.body
        assert [(e.staff.login, e.detail) for e in AuditEntry.select().where(
            AuditEntry.action == "activation_mail_resend")] == [("chitose-admin", {"resident": login, "mail": mail.id})]


@pytest.mark.both_databases
def test_the_old_link_cannot_activate_after_a_new_one_was_sent(app, admin):
    resident_id, old = approved(app)
    age_the_mails()
    assert resend(admin, resident_id).status_code == 303
    with app.app_context(), db.connection_context():
        with pytest.raises(applications.ActivationFailed):
            applications.activate(old.rsplit("/", 1)[1], "pass-word-1")
        assert Resident.get_by_id(resident_id).status == "pending"
        assert ActivationToken.select().where((ActivationToken.resident == resident_id)
                                              & (ActivationToken.expires_at > utcnow())).count() == 1


def test_an_expired_link_is_replaced(app, admin, client):
    """The link that expired before the resident opened it: the new one works."""
    app.config["ACTIVATION_LINK_MAX_AGE"] = timedelta(seconds=-1)
    resident_id, old = approved(app)
    app.config["ACTIVATION_LINK_MAX_AGE"] = timedelta(days=7)
    age_the_mails()
    assert "期限が切れています" in admin.get(f"/admin/residents/{resident_id}").text
    assert resend(admin, resident_id).status_code == 303
    new = last_link(app)
    data = {"csrf_token": form_fields(client.get(new))["csrf_token"], "password": "pass-word-1",
            "confirm": "pass-word-1"}
    assert client.post(new, data=data).status_code == 303
    with db.connection_context():
        assert Resident.get_by_id(resident_id).status == "active"


@pytest.mark.both_databases
def test_a_double_click_sends_one_mail(app, admin):
    resident_id, _ = approved(app)
    age_the_mails()
    before = mails_to()
    assert resend(admin, resident_id).status_code == 303
    again = resend(admin, resident_id)
    assert again.status_code == 429
    assert "<title>エラー：" in again.text and 'role="alert"' in again.text
    assert "送ったばかりです" in again.text
    assert mails_to() == before + 1


def test_right_after_the_approval_the_mail_is_not_sent_again(app, admin):
    resident_id, _ = approved(app)
    before = mails_to()
    assert resend(admin, resident_id).status_code == 429
    assert mails_to() == before


def test_after_a_minute_it_can_be_sent_again(app, admin):
    resident_id, _ = approved(app)
    age_the_mails()
    assert resend(admin, resident_id).status_code == 303
    age_the_mails()
    assert resend(admin, resident_id).status_code == 303


@pytest.mark.parametrize("status", ["active", "suspended", "cancelled"])
def test_an_activated_resident_is_told_to_use_their_own_device_and_password(app, admin, status):
    resident_id, _ = approved(app)
    age_the_mails()
    with db.connection_context():
        Resident.update(status=status).where(Resident.id == resident_id).execute()
    page = admin.get(f"/admin/residents/{resident_id}").text
    assert "有効化のメールを送り直す" not in page
    before = mails_to()
    refused = resend(admin, resident_id)
    assert refused.status_code == 409
    assert "<title>エラー：" in refused.text and "有効化のメールは送り直せません" in refused.text
    assert mails_to() == before


def same_page(text):
    """The page without its CSRF token, which is signed with the second it was made in."""
    return re.sub(r'"[\w-]{20,}\.[\w-]+\.[\w-]+"', '"token"', text)


def test_another_hqs_admin_gets_the_same_404_as_for_an_unknown_id(app):
    resident_id, _ = approved(app)
    other = admin_of(app, next(a["hq"] for a in app.accounts["admins"] if a["hq"] != "chitose"))
    unknown = other.get("/admin/residents/999999")
    assert unknown.status_code == 404
    path = f"/admin/residents/{resident_id}"
    assert other.get(path).status_code == 404
    # The same page, but for the address in its language switch.
    assert same_page(other.get(path).text) == same_page(unknown.text.replace("/admin/residents/999999", path))
    huge = other.get(f"/admin/residents/{HUGE_ID}")
    assert huge.status_code == 404 and "ページが見つかりません。" in huge.text
    token = form_fields(other.get("/admin/residents"))["csrf_token"]
    before = mails_to()
    for rid in (resident_id, 999999, HUGE_ID):
        assert other.post(f"/admin/residents/{rid}/activation-mail", data={"csrf_token": token}).status_code == 404
    assert mails_to() == before


def test_a_post_without_the_form_token_sends_nothing(app, admin):
    resident_id, _ = approved(app)
    age_the_mails()
    before = mails_to()
    assert admin.post(f"/admin/residents/{resident_id}/activation-mail").status_code == 400
    assert mails_to() == before


def test_dispatchers_and_residents_cannot_resend(app, client):
    resident_id, _ = approved(app)
    age_the_mails()
    dispatcher = app.test_client()
    login_as(dispatcher, next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose"), path="/dispatch/login")
    token = form_fields(dispatcher.get("/dispatch/"))["csrf_token"]
    before = mails_to()
    answer = dispatcher.post(f"/admin/residents/{resident_id}/activation-mail", data={"csrf_token": token})
    assert answer.status_code in (302, 303, 403, 404)
    assert mails_to() == before


def test_a_resident_without_a_mail_address_is_told_so_and_nothing_is_stored(app, admin):
    """A resident entered by hand with no address: no mail to nowhere, and the page says why."""
    with db.connection_context():
        resident_id = Resident.create(login="chitose-noaddress", password_hash="!", name="住所 なし",
                                      hq=Headquarters.get(Headquarters.code == "chitose"), status="pending").id
        before = OutgoingMail.select().count()
    assert "メールアドレスが登録されていないため" in admin.get(f"/admin/residents/{resident_id}").text
    refused = resend(admin, resident_id)
    assert refused.status_code == 409 and "メールアドレスが登録されていないため" in refused.text
    with db.connection_context():
        assert OutgoingMail.select().count() == before
        assert ActivationToken.select().where(ActivationToken.resident == resident_id).count() == 0
