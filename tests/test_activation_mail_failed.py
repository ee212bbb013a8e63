"""An activation mail that could not be delivered is shown to the administrators: resident page, list, approval."""
import logging
import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import OutgoingMail, Resident

from .test_activation_resend import approved, mails_to, resend
from .test_activation_resend import admin  # noqa: F401  (a fixture)
from .test_mail_failed import refusing  # noqa: F401  (a fixture)
from .test_review_admin import post, submitted

UNKNOWN_USER = "550 5.1.1 <hanako.@docomo.ne.jp>: Recipient address rejected: User unknown"


def text_of(html):
    """The page's words, without tags, as one line."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_mail_to_an_address_that_does_not_exist_is_shown_as_not_delivered(app, admin, refusing):  # noqa: F811
    refusing(rcpt=UNKNOWN_USER)
    resident_id, _ = approved(app)
    page = admin.get(f"/admin/residents/{resident_id}").text
    words = text_of(page)
    assert "届けられませんでした" in words
    assert "このメールアドレスは存在しません" in words and "does not exist" in words
    assert "自動でもう一度送ります" not in words  # it will not be tried again, so no promise that it will
    assert "550 5.1.1" in page  # the relay's words, for whoever looks after the mail
    assert "有効化のメールを送り直す" in page


@pytest.mark.parametrize("reply, words", [
    ("554 5.7.1 Rejected by recipient's filter", "迷惑メール"),
    ("550 5.2.2 Mailbox full", "いっぱい"),  # a 552 to RCPT is temporary: see the test below
    ("550 5.1.2 Host unknown", "@より後ろ"),
])
def test_the_reason_is_said_in_plain_words(app, admin, refusing, reply, words):  # noqa: F811
    refusing(rcpt=reply)
    resident_id, _ = approved(app)
    page = text_of(admin.get(f"/admin/residents/{resident_id}").text)
    assert "届けられませんでした" in page and words in page


def test_a_full_mailbox_is_retried_and_said_as_such(app, admin, refusing):  # noqa: F811
    """552 to RCPT is temporary (RFC 5321 §4.5.3.1.10): not 届けられませんでした, and the reason is the full mailbox."""
    refusing(rcpt="552 5.2.2 Mailbox full")
    resident_id, _ = approved(app)
    page = text_of(admin.get(f"/admin/residents/{resident_id}").text)
    assert "届けられませんでした" not in page
    assert "自動でもう一度送ります" in page and "メールボックスがいっぱい" in page
    assert "アドレスの誤り" not in page


def test_a_mail_given_up_after_days_says_so(app, admin):
    resident_id, _ = approved(app)
    with db.connection_context():
        OutgoingMail.update(failed_at=OutgoingMail.created_at, failure="gave_up", attempts=17,
                            last_error="ConnectionRefusedError: [Errno 111] Connection refused").execute()
    page = text_of(admin.get(f"/admin/residents/{resident_id}").text)
    assert "届けられませんでした" in page and "3日間" in page and "メールサーバーにつながりません" in page
    assert "自動でもう一度送ります" not in page


def test_a_failed_mail_can_be_sent_again_at_once(app, admin, refusing):  # noqa: F811
    """No minute's wait after a mail that was refused: it never arrived, so nothing can arrive twice."""
    refusing(rcpt=UNKNOWN_USER)
    resident_id, _ = approved(app)
    relay = refusing()  # the resident's carrier takes it now (the address was set up meanwhile)
    before = mails_to()
    done = resend(admin, resident_id)
    assert done.status_code == 303
    assert mails_to() == before + 1
    assert len(relay.messages_to("hanako.@docomo.ne.jp")) == 1
    page = text_of(admin.get(done.headers["Location"]).text)
    assert "有効化のメールを送り直しました" in page and "届けられませんでした" not in page


def test_a_resent_mail_refused_again_says_so_on_the_confirmation(app, admin, refusing):  # noqa: F811
    refusing(rcpt=UNKNOWN_USER)
    resident_id, _ = approved(app)
    done = resend(admin, resident_id)
    assert done.status_code == 303
    page = text_of(admin.get(done.headers["Location"]).text)
    assert "有効化のメールを送り直しました" in page and "ただし、届けられませんでした" in page


def residents_list_rows(admin):
    """The residents list as {login: the row's words}."""
    page = admin.get("/admin/residents").text
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    return {re.search(r"<td>([^<]+)</td>", row).group(1): text_of(row) for row in rows if "<td>" in row}


@pytest.mark.both_databases
def test_the_residents_list_shows_each_activation_mail_in_one_query(app, admin, refusing, caplog):  # noqa: F811
    """Failed, waiting, sent: each pending resident's row says which; the page asks the outbox once."""
    refusing(rcpt=UNKNOWN_USER)
    failed_id, _ = approved(app)
    app.config["MAIL_RELAY"] = None
    waiting_id, _ = approved(app, email="waiting@docomo.ne.jp")
    refusing()
    sent_ids = [approved(app, email=f"sent{n}@docomo.ne.jp")[0] for n in range(4)]
    with db.connection_context():
        logins = {rid: Resident.get_by_id(rid).login for rid in [failed_id, waiting_id, *sent_ids]}
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        rows = residents_list_rows(admin)
    outbox_queries = [r for r in caplog.records if r.name == "peewee" and "outgoing_mail" in r.getMessage()]
    assert len(outbox_queries) == 1
    assert "届けられませんでした" in rows[logins[failed_id]]
    assert "送信待ち" in rows[logins[waiting_id]]
    for rid in sent_ids:
        assert "送信済み" in rows[logins[rid]] and "届けられませんでした" not in rows[logins[rid]]
    active = next(login for login in rows if login not in logins.values())
    assert "有効化のメール" not in rows[active]


def test_the_approval_does_not_say_mailed_when_the_mail_was_refused(app, admin, refusing):  # noqa: F811
    """The confirmation after 承認する is truthful: a mail refused at once is not 送りました."""
    refusing(rcpt="550 5.1.1 User unknown")
    path = f"/admin/applications/{submitted()}"
    decided = post(admin, path, page=path, action="approve")
    assert decided.status_code == 303
    page = text_of(admin.get(decided.headers["Location"]).text)
    assert "承認しました" in page
    assert "メールで送りました" not in page and "届けられませんでした" in page


def test_the_rejection_does_not_say_mailed_when_the_mail_was_refused(app, admin, refusing):  # noqa: F811
    """The reason's mail refused at once: the confirmation says it did not reach the applicant."""
    refusing(rcpt="550 5.1.1 User unknown")
    path = f"/admin/applications/{submitted()}"
    decided = post(admin, path, page=path, action="reject", reason="管轄外です")
    assert decided.status_code == 303
    page = text_of(admin.get(decided.headers["Location"]).text)
    assert "却下しました" in page
    assert "メールで送りました" not in page and "届けられませんでした" in page


def test_a_mail_still_being_retried_says_until_when(app, admin, refusing):  # noqa: F811
    """A temporary refusal: retried automatically, and the page says when the retrying stops."""
    refusing(rcpt="451 4.7.1 Greylisted")
    resident_id, _ = approved(app)
    with db.connection_context():
        created = OutgoingMail.select().order_by(OutgoingMail.id.desc()).get().created_at
    page = text_of(admin.get(f"/admin/residents/{resident_id}").text)
    assert "自動でもう一度送ります" in page and "届けられませんでした" not in page
    give_up = (created + timedelta(days=3, hours=9)).strftime("%Y/%m/%d %H:%M")  # JST
    assert f"{give_up}までに届けられなければ、送るのをやめます" in page
