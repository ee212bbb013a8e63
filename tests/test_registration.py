"""Registration (SPEC §7): empty mail, the application form, review, activation; the outbox."""
import html
import re
import smtplib
import urllib.request
from datetime import timedelta
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from app.extensions import db
from app.mail.intake import start_intake
from app.mail.outbox import deliver_due
from app.models import Application, OutgoingMail, Resident, utcnow
from app.registration import applications

from .conftest import form_fields, free_port, login_as, start_report

LINK = re.compile(r"http://\S+")
VALID_APPLICATION = {
    "name": "千歳 花子", "name_kana": "チトセ ハナコ", "birth_date": "1990-05-05", "sex": "女性",
    "address": "北海道千歳市東雲町2丁目34", "phone": "", "fax": "0123-11-2222",
    "disability_type": "聴覚障害", "disability_proof": "身体障害者手帳",
    "medical_history": "", "medication": "", "contact_name": "千歳 一郎", "contact_relation": "父",
    "contact_phone": "090-1111-2222", "contact_consent": "y", "place1_label": "職場",
    "place1_address": "北海道千歳市千代田町7丁目", "eligibility": "住んでいる", "terms": "y",
}


class Sink:
    """An aiosmtpd handler that keeps every mail it is given: the test's SMTP relay."""

    def __init__(self):
        self.envelopes = []
        self.raw_recipients = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    def messages_to(self, address):
        """Parsed messages whose envelope recipient is ``address``."""
        return [message_from_bytes(e.content, policy=policy.default)
                for e in self.envelopes if address in e.rcpt_tos]


class RecordingSMTP(SMTP):
    """aiosmtpd's server, noting each RCPT argument as it came over the wire."""

    async def smtp_RCPT(self, arg):
        self.event_handler.raw_recipients.append(arg)
        await super().smtp_RCPT(arg)


class SinkController(Controller):
    def factory(self):
        return RecordingSMTP(self.handler, **self.SMTP_kwargs)


@pytest.fixture
def relay(app):
    """A real SMTP relay on localhost; the app sends through it."""
    sink = Sink()
    port = free_port()
    controller = SinkController(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["MAIL_RELAY"] = f"127.0.0.1:{port}"
    sink.controller = controller
    yield sink
    controller.stop()


@pytest.fixture
def intake(app):
    """The mail intake on a free local port."""
    app.config.update(MAIL_DOMAIN="net119.test", INTAKE_LIMIT_PER_SENDER=(2, 3600))
    controller = start_intake(app, port=free_port())
    yield controller
    controller.stop()


def send_empty_mail(intake, sender, recipient):
    """An empty mail, as a phone sends it."""
    with smtplib.SMTP(intake.hostname, intake.port, timeout=5) as client:
        client.sendmail(sender, [recipient], b"")


def link_in(message):
    """The one link of a mail, as a path for the test client."""
    url = LINK.search(message.get_content()).group(0)
    return urlsplit(url).path


def outbox_link(app, to):
    """The link in the last mail stored for ``to``."""
    with app.app_context(), db.connection_context():
        mail = OutgoingMail.select().where(OutgoingMail.to_address == to).order_by(OutgoingMail.id.desc()).get()
    return urlsplit(LINK.search(mail.body).group(0)).path


def post_form(client, path, **data):
    page = client.get(path)
    return client.post(path, data={"csrf_token": form_fields(page)["csrf_token"], **data})


def test_empty_mail_to_report(app, client, relay, intake):
    """Empty mail → link → form with errors corrected → approval → activation → the device can report."""
    sender = "hanako.@docomo.ne.jp"
    send_empty_mail(intake, '"hanako."@docomo.ne.jp', "r.chitose@net119.test")
    [reply] = relay.messages_to(sender)
    assert "登録申請" in reply["Subject"]
    # Quoted on the wire, so strict relays take it.
    assert b'To: "hanako."@docomo.ne.jp' in relay.envelopes[0].content
    assert relay.raw_recipients == ['TO:<"hanako."@docomo.ne.jp>']
    apply_path = link_in(reply)

    invalid = dict(VALID_APPLICATION, name_kana="ちとせ", terms="", birth_date="")
    answer = post_form(client, apply_path, action="submit", **invalid)
    assert answer.status_code == 400
    assert "<title>エラー：" in answer.text and 'role="alert"' in answer.text
    assert "フリガナはカタカナで入力してください。" in answer.text
    assert 'href="#terms"' in answer.text and 'aria-describedby="birth_date-hint birth_date-error"' in answer.text
    # What was typed is kept even though the form was invalid.
    assert 'value="千歳 花子"' in client.get(apply_path).text

    answer = post_form(client, apply_path, action="submit", **VALID_APPLICATION)
    assert answer.status_code == 303
    assert "申請を受け付けました" in client.get(apply_path).text
    assert relay.messages_to(sender)[-1]["Subject"] == "【NET119】登録申請を受け付けました / Application received"

    admin = app.test_client()
    login_as(admin, app.accounts["admins"][0], path="/dispatch/login")
    queue = admin.get("/admin/applications")
    assert "千歳 花子" in queue.text
    with app.app_context(), db.connection_context():
        application = Application.get(Application.email == sender)
    answer = post_form(admin, f"/admin/applications/{application.id}", action="approve")
    assert answer.status_code == 303

    approval = relay.messages_to(sender)[-1]
    body = approval.get_content()
    login = re.search(r"chitose-\d{6}", body).group(0)
    assert "パスワード：" not in body
    activate_path = link_in(approval)
    short = post_form(client, activate_path, password="short", confirm="short")
    assert short.status_code == 400 and "8文字以上" in short.text
    answer = post_form(client, activate_path, password="correct horse", confirm="correct horse")
    assert answer.status_code == 303
    assert start_report(client).status_code == 303

    with app.app_context(), db.connection_context():
        resident = Resident.get(Resident.login == login)
        assert resident.status == "active" and resident.email == sender
        assert [p.label for p in resident.places] == ["職場"]
        assert resident.emergency_contacts[0]["consent"] is True
    # The link worked once: elsewhere it is refused; on this phone it only leads back in.
    assert app.test_client().get(activate_path).status_code == 410
    assert client.get(activate_path).headers["Location"] == "/"


def test_rejection_is_mailed_with_the_reason(app, client, relay):
    """A rejected applicant is told why, and no resident is created."""
    post_form(client, "/register/", hq="chitose", email="a..b@ezweb.ne.jp")
    [link_mail] = relay.messages_to("a..b@ezweb.ne.jp")
    post_form(client, link_in(link_mail), action="submit", **VALID_APPLICATION)
    admin = app.test_client()
    login_as(admin, app.accounts["admins"][0], path="/dispatch/login")
    with app.app_context(), db.connection_context():
        application = Application.get(Application.email == "a..b@ezweb.ne.jp")
    path = f"/admin/applications/{application.id}"
    missing = post_form(admin, path, action="reject", reason="")
    assert missing.status_code == 400 and "理由を入力してください" in missing.text
    assert post_form(admin, path, action="reject", reason="管轄区域外のため").status_code == 303
    rejection = relay.messages_to("a..b@ezweb.ne.jp")[-1]
    assert "管轄区域外のため" in rejection.get_content()
    # The old link shows the decision instead of a blank form.
    assert "審査が終わりました" in client.get(link_in(link_mail)).text
    with app.app_context(), db.connection_context():
        assert Application.get_by_id(application.id).status == "rejected"
        assert not Resident.select().where(Resident.email == "a..b@ezweb.ne.jp").exists()


@pytest.mark.parametrize("address, reason", [
    ("taro", "「@」を1つだけ"),
    ("taro@docomo", "ドメイン"),
    ("ｔａｒｏ@docomo.ne.jp", "全角"),
    ("ta ro@docomo.ne.jp", "空白"),
])
def test_register_rejects_invalid_addresses_with_a_reason(client, address, reason):
    answer = post_form(client, "/register/", hq="chitose", email=address)
    assert answer.status_code == 400 and reason in answer.text


def test_register_answers_the_same_for_any_address(app, client):
    """Registered or not, the page says the same: no account enumeration."""
    registered = post_form(client, "/register/", hq="chitose", email="taro@example.jp")
    unknown = post_form(client, "/register/", hq="chitose", email="nobody@example.jp")
    assert registered.status_code == unknown.status_code == 303
    assert registered.headers["Location"] == unknown.headers["Location"]


@pytest.mark.parametrize("typed, message", [
    ("1985/04/01", None),
    ("1985年4月1日", "1985-04-01 のように"),
    ("2999-01-01", "生年月日が正しくありません"),
])
def test_birth_date_as_typed_on_a_feature_phone(client, typed, message):
    post_form(client, "/register/", hq="chitose", email="dates@example.jp")
    answer = post_form(client, outbox_link(client.application, "dates@example.jp"), action="submit",
                       **dict(VALID_APPLICATION, birth_date=typed))
    if message is None:
        assert answer.status_code == 303
    else:
        assert answer.status_code == 400 and message in answer.text


def test_expired_and_tampered_links(app, client):
    post_form(client, "/register/", hq="chitose", email="late@example.jp")
    path = outbox_link(app, "late@example.jp")
    assert client.get(path).status_code == 200
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.get(tampered).status_code == 404
    app.config["APPLICATION_LINK_MAX_AGE"] = timedelta(seconds=-1)
    expired = client.get(path)
    assert expired.status_code == 410 and "有効期限が切れました" in expired.text


def test_intake_refuses_unknown_recipients(intake):
    for recipient in ("r.nowhere@net119.test", "chitose@net119.test", "r.chitose@other.test"):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            send_empty_mail(intake, "someone@example.jp", recipient)
        code, text = refused.value.recipients[recipient]
        assert code == 550 and b"no such NET119 address" in text


def test_intake_rate_limits_each_sender(app, intake):
    send_empty_mail(intake, "eager@example.jp", "r.chitose@net119.test")
    send_empty_mail(intake, "eager@example.jp", "r.chitose@net119.test")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send_empty_mail(intake, "eager@example.jp", "r.chitose@net119.test")
    code, text = refused.value.recipients["r.chitose@net119.test"]
    assert code == 450 and b"Too many" in text
    send_empty_mail(intake, "other@example.jp", "r.chitose@net119.test")
    with app.app_context(), db.connection_context():
        assert OutgoingMail.select().where(OutgoingMail.to_address == "eager@example.jp").count() == 2


def test_relay_down_keeps_mail_and_delivers_later(app, client):
    """Mail waits in the outbox while the relay is down and goes out once it is back."""
    port = free_port()
    app.config["MAIL_RELAY"] = f"127.0.0.1:{port}"
    assert post_form(client, "/register/", hq="chitose", email="patient@example.jp").status_code == 303
    with app.app_context(), db.connection_context():
        mail = OutgoingMail.get(OutgoingMail.to_address == "patient@example.jp")
        assert mail.sent_at is None and mail.attempts == 1 and mail.last_error
        assert deliver_due() == 0  # not due yet: backoff
        sink = Sink()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            assert deliver_due(now=utcnow() + timedelta(minutes=2)) == 1
        finally:
            controller.stop()
        assert OutgoingMail.get_by_id(mail.id).sent_at is not None
    assert "申請" in sink.messages_to("patient@example.jp")[0]["Subject"]


def test_approval_is_for_the_hq_admin_only(app):
    """Another HQ's administrator cannot see or decide this HQ's applications."""
    with app.app_context(), db.connection_context():
        from app.models import Headquarters
        application = Application.create(hq=Headquarters.get(code="chitose"), email="x@example.jp",
                                         status="submitted", draft=VALID_APPLICATION, submitted_at=utcnow())
    other = next(a for a in app.accounts["admins"] if a["hq"] != "chitose")
    admin = app.test_client()
    login_as(admin, other, path="/dispatch/login")
    assert admin.get(f"/admin/applications/{application.id}").status_code == 404


def test_activation_token_expires(app):
    with app.app_context(), db.connection_context():
        application = Application.create(hq=1, email="y@example.jp", status="submitted",
                                         draft=VALID_APPLICATION, submitted_at=utcnow())
        app.config["ACTIVATION_LINK_MAX_AGE"] = timedelta(seconds=-1)
        resident = applications.approve(application)
        token = urlsplit(LINK.search(OutgoingMail.select().order_by(OutgoingMail.id.desc()).get().body)
                         .group(0)).path.rsplit("/", 1)[1]
        with pytest.raises(applications.ActivationFailed):
            applications.activate(token, "whatever123")
        assert Resident.get_by_id(resident.id).status == "pending"


def test_demo_runs_the_intake_and_shows_the_mailbox(live_server):
    """`net119 demo` answers empty mails and keeps the replies at its mailbox page (no relay)."""
    intake = live_server.accounts["mail_intake"]
    with smtplib.SMTP(intake["host"], intake["port"], timeout=5) as client:
        client.sendmail("demo.@docomo.ne.jp", [f"r.chitose@{intake['domain']}"], b"")
    with urllib.request.urlopen(f"{live_server.base_url}/register/mailbox", timeout=5) as page:
        mailbox = page.read().decode()
    assert "demo.@docomo.ne.jp" in mailbox
    link = html.unescape(re.search(r'href="(http://[^"]+/register/apply/[^"]+)"', mailbox).group(1))
    with urllib.request.urlopen(link, timeout=5) as form:
        assert "登録申請書" in form.read().decode()


def test_an_application_is_decided_once(app):
    """Two clicks (or two administrators) make one resident and one mail."""
    with app.app_context(), db.connection_context():
        application = Application.create(hq=1, email="twice@example.jp", status="submitted",
                                         draft=VALID_APPLICATION, submitted_at=utcnow())
        assert applications.approve(application) is not None
        assert applications.approve(Application.get_by_id(application.id)) is None
        assert applications.reject(Application.get_by_id(application.id), "late") is False
        assert Resident.select().where(Resident.email == "twice@example.jp").count() == 1
        assert OutgoingMail.select().where(OutgoingMail.to_address == "twice@example.jp").count() == 1


def test_plus_tag_variants_of_one_mailbox_share_its_five_links(app, client):
    """``taro+1@`` … ``taro+6@`` reach one phone: they must not make six links an hour."""
    for n in range(1, 8):
        assert post_form(client, "/register/", hq="chitose", email=f"flooded+{n}@example.jp").status_code == 303
    with app.app_context(), db.connection_context():
        sent = OutgoingMail.select().where(OutgoingMail.to_address.startswith("flooded")).count()
    assert sent == 5


def test_one_network_asking_for_links_to_many_addresses_is_told_to_wait(app, client):
    """Not one mail to each of a thousand addresses from one machine; said plainly, and others go on."""
    def ask(n, address):
        token = form_fields(client.get("/register/"))["csrf_token"]
        return client.post("/register/", data={"csrf_token": token, "hq": "chitose", "email": f"victim{n}@example.jp"},
                           environ_base={"REMOTE_ADDR": address})
    for n in range(30):
        assert ask(n, "2001:db8:1:1::1").status_code == 303
    refused = ask(30, "2001:db8:1:1::ffff")  # the same /64
    assert refused.status_code == 429
    assert "この通信回線からの申し込みが多すぎます" in refused.text and "Too many requests from this network" in refused.text
    assert ask(31, "198.51.100.7").status_code == 303
    with app.app_context(), db.connection_context():
        assert OutgoingMail.select().where(OutgoingMail.to_address.startswith("victim")).count() == 31
