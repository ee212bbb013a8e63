"""The HQ corrects a resident's mail address: before activation the activation mail goes to the new one;
afterwards both addresses are told of the change."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.mail.outbox import deliver_due
from app.models import ActivationToken, AuditEntry, Headquarters, OutgoingMail, Resident, utcnow

from .conftest import form_fields, login_as
from .test_activation_mail_failed import UNKNOWN_USER, text_of
from .test_activation_resend import EMAIL, HUGE_ID, admin_of, approved, last_link, mails_to
from .test_activation_resend import admin  # noqa: F401  (a fixture)
from .test_mail_failed import refusing  # noqa: F401  (a fixture)

NEW = "hanako.x@docomo.ne.jp"


def correct(client, resident_id, address, **data):
    """Post the page's address form as the administrator does."""
    page = f"/admin/residents/{resident_id}"
    token = form_fields(client.get(page))["csrf_token"]
    return client.post(f"{page}/email", data={"csrf_token": token, "email": address, **data})


def resident(resident_id):
    with db.connection_context():
        return Resident.get_by_id(resident_id)


@pytest.mark.both_databases
def test_a_mistyped_address_is_corrected_and_the_activation_mail_goes_to_the_new_one(
        app, admin, refusing, client):  # noqa: F811
    """550 5.1.1 (a typo): the admin types the right address; the new link is mailed there, the old stops working."""
    refusing(rcpt=UNKNOWN_USER)
    resident_id, old_link = approved(app)
    page = admin.get(f"/admin/residents/{resident_id}").text
    assert "メールアドレスを直す" in page
    relay = refusing()  # the right address takes mail
    done = correct(admin, resident_id, NEW)
    assert done.status_code == 303
    assert resident(resident_id).email == NEW
    [message] = relay.messages_to(NEW)
    assert resident(resident_id).login in message.get_content()
    # The old link (in the mail that never arrived) stops working; the new one opens the password form.
    stale = client.get(old_link)
    assert stale.status_code == 410 and "新しいメールを送りました" in stale.text
    new_link = last_link(app, NEW)
    assert new_link != old_link and client.get(new_link).status_code == 200
    with db.connection_context():
        live = ActivationToken.select().where((ActivationToken.resident == resident_id)
                                              & (ActivationToken.expires_at > utcnow())).count()
        [entry] = AuditEntry.select().where(AuditEntry.action == "resident_email_change")
    assert live == 1
    assert entry.detail["resident"] == resident(resident_id).login
    assert entry.detail["old"] == EMAIL and entry.detail["new"] == NEW
    confirmation = text_of(admin.get(done.headers["Location"]).text)
    assert "メールアドレスを直して、有効化のメールを送りました" in confirmation
    assert NEW in confirmation and "届けられませんでした" not in confirmation
    # The list follows the new address: its row says the mail went, not that it failed.
    row = next(line for line in admin.get("/admin/residents").text.split("<tr") if resident(resident_id).login in line)
    assert "送信済み" in row and "届けられませんでした" not in row


@pytest.mark.parametrize("typed, stored", [
    ("taro@ｄｏｃｏｍｏ．ｎｅ．ｊｐ", "taro@docomo.ne.jp"),  # the domain typed with the IME still on
    ("taro@例え.jp", "taro@xn--r8jz45g.jp"),
    ("  Taro..X.@DoCoMo.ne.jp ", "Taro..X.@docomo.ne.jp"),  # a carrier address RFC 5322 forbids
])
def test_the_address_is_stored_as_the_registration_form_stores_it(app, admin, refusing, typed, stored):  # noqa: F811
    relay = refusing()
    resident_id, _ = approved(app)
    assert correct(admin, resident_id, typed).status_code == 303
    assert resident(resident_id).email == stored
    assert len(relay.messages_to(stored)) == 1  # aiosmtpd unquotes "Taro..X."@


@pytest.mark.parametrize("typed, words", [
    ("", "メールアドレスを入力してください"),
    ("hanako@docomo", "ドメイン"),
    ("hana ko@docomo.ne.jp", "空白"),
    ("はなこ@docomo.ne.jp", "全角"),
    ("hanako@@docomo.ne.jp", "「@」を1つだけ"),
    ("a" * 250 + "@docomo.ne.jp", "254文字"),
])
def test_an_address_that_cannot_work_is_refused_in_both_languages_and_nothing_changes(
        app, admin, typed, words):  # noqa: F811
    resident_id, _ = approved(app)
    with db.connection_context():
        before = OutgoingMail.select().count()
    refused = correct(admin, resident_id, typed)
    assert refused.status_code == 400
    assert "<title>エラー：" in refused.text
    assert words in text_of(refused.text) and 'lang="en"' in refused.text
    assert 'aria-invalid="true"' in refused.text and 'href="#email"' in refused.text
    assert resident(resident_id).email == EMAIL
    with db.connection_context():
        assert OutgoingMail.select().count() == before
        assert not AuditEntry.select().where(AuditEntry.action == "resident_email_change").exists()


def test_the_same_address_again_is_refused_pointing_at_the_resend(app, admin):  # noqa: F811
    resident_id, _ = approved(app)
    before = mails_to()
    refused = correct(admin, resident_id, "hanako.@DOCOMO.ne.jp")  # the same once normalised
    assert refused.status_code == 400 and "いま登録されているアドレスと同じです" in text_of(refused.text)
    assert mails_to() == before


def test_a_mail_to_the_old_address_still_being_retried_is_withdrawn(app, admin, refusing):  # noqa: F811
    """The old address may be a stranger's: the outbox no longer tries it with the resident's login ID."""
    refusing(rcpt="451 4.3.0 Try again later")
    resident_id, _ = approved(app)
    relay = refusing()
    assert correct(admin, resident_id, NEW).status_code == 303
    with app.app_context(), db.connection_context():
        [old] = OutgoingMail.select().where(OutgoingMail.to_address == EMAIL)
        assert old.failed_at is not None and old.failure == "withdrawn" and old.sent_at is None
        deliver_due(now=utcnow() + timedelta(days=1))
    assert relay.messages_to(EMAIL) == [] and len(relay.messages_to(NEW)) == 1


def test_a_resident_without_an_address_is_given_one(app, admin, refusing):  # noqa: F811
    relay = refusing()
    with db.connection_context():
        resident_id = Resident.create(login="chitose-noaddress", password_hash="!", name="住所 なし",
                                      hq=Headquarters.get(Headquarters.code == "chitose"), status="pending").id
    assert "メールアドレスを直す" in admin.get(f"/admin/residents/{resident_id}").text
    assert correct(admin, resident_id, NEW).status_code == 303
    assert resident(resident_id).email == NEW and len(relay.messages_to(NEW)) == 1


def test_a_cancelled_residents_address_is_not_changed(app, admin):  # noqa: F811
    resident_id, _ = approved(app)
    with db.connection_context():
        Resident.update(status="cancelled").where(Resident.id == resident_id).execute()
        before = OutgoingMail.select().count()
    page = admin.get(f"/admin/residents/{resident_id}").text
    assert "メールアドレスを直す" not in page and "メールアドレスを変える" not in page
    token = form_fields(admin.get("/admin/residents"))["csrf_token"]
    refused = admin.post(f"/admin/residents/{resident_id}/email", data={"csrf_token": token, "email": NEW})
    assert refused.status_code == 409 and "取り消されています" in text_of(refused.text)
    assert resident(resident_id).email == EMAIL
    with db.connection_context():
        assert OutgoingMail.select().count() == before


@pytest.mark.both_databases
@pytest.mark.parametrize("status", ["active", "suspended"])
def test_an_activated_residents_address_is_changed_and_both_addresses_are_told(
        app, admin, refusing, status):  # noqa: F811
    """No activation link any more: a notice to the old and the new address, so a change not asked for is seen."""
    resident_id, _ = approved(app)
    with db.connection_context():
        Resident.update(status=status).where(Resident.id == resident_id).execute()
        tokens = ActivationToken.select().count()
    page = admin.get(f"/admin/residents/{resident_id}").text
    assert "メールアドレスを変える" in page and "メールアドレスを直す" not in page
    assert "前のアドレスと新しいアドレスの両方" in text_of(page)
    relay = refusing()
    done = correct(admin, resident_id, NEW)
    assert done.status_code == 303
    assert resident(resident_id).email == NEW and resident(resident_id).status == status
    [to_old], [to_new] = relay.messages_to(EMAIL), relay.messages_to(NEW)
    for notice in (to_old, to_new):
        assert notice["Subject"] == "【NET119】メールアドレスを変更しました / Address changed"
        body = notice.get_content()
        assert "千歳市消防本部" in body and "In English" in body
        assert "http" not in body  # no link to follow: nothing to do unless it was not asked for
        # Neither the login ID nor the new address goes to the old one (it may be someone else's now).
        assert resident(resident_id).login not in body and NEW not in body
    with db.connection_context():
        assert ActivationToken.select().count() == tokens
        [entry] = AuditEntry.select().where(AuditEntry.action == "resident_email_change")
    assert entry.detail["old"] == EMAIL and entry.detail["new"] == NEW
    confirmation = text_of(admin.get(done.headers["Location"]).text)
    assert "メールアドレスを変えました" in confirmation and "お知らせ" in confirmation


def test_an_activated_resident_without_an_address_is_told_at_the_new_one_only(app, admin, refusing):  # noqa: F811
    relay = refusing()
    with db.connection_context():
        resident_id = Resident.create(login="chitose-noaddress", password_hash="!", name="住所 なし",
                                      hq=Headquarters.get(Headquarters.code == "chitose"), status="active").id
    assert correct(admin, resident_id, NEW).status_code == 303
    assert resident(resident_id).email == NEW
    assert len(relay.messages_to(NEW)) == 1 and len(relay.envelopes) == 1


def test_another_hqs_admin_gets_404_and_changes_nothing(app):  # noqa: F811
    resident_id, _ = approved(app)
    other = admin_of(app, next(a["hq"] for a in app.accounts["admins"] if a["hq"] != "chitose"))
    token = form_fields(other.get("/admin/residents"))["csrf_token"]
    for rid in (resident_id, 999999, HUGE_ID):
        answer = other.post(f"/admin/residents/{rid}/email", data={"csrf_token": token, "email": NEW})
        assert answer.status_code == 404
    assert resident(resident_id).email == EMAIL and mails_to(NEW) == 0


def test_without_the_form_token_nothing_changes(app, admin):  # noqa: F811
    resident_id, _ = approved(app)
    assert admin.post(f"/admin/residents/{resident_id}/email", data={"email": NEW}).status_code == 400
    assert resident(resident_id).email == EMAIL and mails_to(NEW) == 0


def test_dispatchers_cannot_change_it(app):
    resident_id, _ = approved(app)
    dispatcher = app.test_client()
    login_as(dispatcher, next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose"), path="/dispatch/login")
    token = form_fields(dispatcher.get("/dispatch/"))["csrf_token"]
    answer = dispatcher.post(f"/admin/residents/{resident_id}/email", data={"csrf_token": token, "email": NEW})
    assert answer.status_code in (302, 303, 403, 404)
    assert resident(resident_id).email == EMAIL
