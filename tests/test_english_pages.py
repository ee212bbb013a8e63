"""A resident who chose English can read every page and fragment meant for them.

Each resident page is rendered in English and read as a screen reader would: every run of
Japanese text (kana, kanji, full-width punctuation) must be inside an element marked
``lang="ja"`` (WCAG 3.1.2), and the words the resident needs must be in English. Japanese that
is data (an HQ's name, a message a dispatcher typed) is marked too; bilingual passages mark
their Japanese half.
"""
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from app.extensions import db
from app.models import Headquarters, OutgoingMail, Report, Staff
from app.reporting import ask_question, post_message, set_status, transfer_report

from .conftest import form_fields, login_as, start_report
from .test_registration import VALID_APPLICATION

# Kana, kanji, and the CJK and full-width punctuation that goes with them (「」（）：、。).
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Attributes a screen reader reads out, or a browser shows.
READ_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "data-confirm", "content"}
LINK = re.compile(r"http://\S+")


class LanguageReader(HTMLParser):
    """Collects the Japanese that an English page shows or reads out outside a lang="ja" element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, lang or None)
        self.unmarked = []

    def _lang(self):
        return next((lang for _, lang in reversed(self.stack) if lang), None)

    def _check(self, text, where, lang):
        if not lang or not lang.startswith("ja"):
            self.unmarked += [f"{where}: {run!r} in {text.strip()[:80]!r}" for run in JAPANESE.findall(text)]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        own = attrs.get("lang")
        lang = own or self._lang()
        for name in READ_ATTRIBUTES & attrs.keys():
            if not (tag == "meta" and name == "content" and attrs.get("name") not in ("description",)):
                self._check(attrs[name] or "", f"<{tag} {name}>", lang)
        if tag not in VOID:
            self.stack.append((tag, own))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        # A textarea holds what the resident typed, to be edited: their words, in their language.
        if any(tag in ("script", "style", "textarea") for tag, _ in self.stack):
            return
        self._check(data, "<" + (self.stack[-1][0] if self.stack else "document") + ">", self._lang())


def unmarked_japanese(page):
    """The Japanese runs of ``page`` (HTML) that are not marked lang="ja"."""
    reader = LanguageReader()
    reader.feed(page)
    return reader.unmarked


def assert_english(response, title_may_name=None):
    """``response`` is an English page (or fragment) with no unmarked Japanese.

    A <title> cannot mark a language: ``title_may_name`` is a name the resident gave (a
    place's label) that it may show, a proper name (WCAG 3.1.2's exception).
    """
    text = response.text if hasattr(response, "text") else response
    if "<html" in text:
        assert '<html lang="en">' in text
    unmarked = unmarked_japanese(text)
    if title_may_name:
        unmarked = [run for run in unmarked if not run.startswith(f"<title>: {title_may_name!r}")]
    assert not unmarked, "Japanese not marked lang=\"ja\" on an English page:\n" + "\n".join(unmarked)


def test_the_reader_finds_unmarked_japanese_and_accepts_marked():
    assert unmarked_japanese('<p lang="en">Fire <span>火事</span></p>') == ["<span>: '火事' in '火事'"]
    assert unmarked_japanese('<p>Fire <span lang="ja">火事<b>です</b></span>（x）</p>') == ["<p>: '（' in '（x）'", "<p>: '）' in '（x）'"]
    assert unmarked_japanese('<button aria-label="閉じる">x</button>')
    assert not unmarked_japanese('<script>var a = "火事";</script><p lang="ja">火事</p>')


@pytest.fixture
def english(app):
    """A client whose device chose English."""
    client = app.test_client()
    client.set_cookie("net119_lang", "en")
    return client


@pytest.fixture
def resident(app, english):
    """The English client, logged in as the demo resident."""
    login_as(english, app.accounts["residents"][0])
    return english


def case_number_of(response):
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[1]


def staff_of(hq):
    return Staff.get((Staff.hq == Headquarters.get(Headquarters.code == hq)) & (Staff.role == "dispatcher"))


# ---- Pages anyone sees ---------------------------------------------------------

@pytest.mark.parametrize("path", ["/login", "/register/", "/register/terms", "/register/sent", "/offline",
                                  "/no-such-page", "/register/apply/not-a-token"])
def test_pages_before_login_are_english(english, path):
    assert_english(english.get(path))


def test_a_login_with_errors_is_english(english):
    page = english.get("/login")
    answer = english.post("/login", data={"csrf_token": form_fields(page)["csrf_token"], "login": "x", "password": ""})
    assert answer.status_code == 400
    assert_english(answer)


def test_an_expired_form_is_english(english):
    answer = english.post("/login", data={"login": "x", "password": "y"})
    assert answer.status_code == 400
    assert_english(answer)


def test_a_request_for_a_link_with_errors_is_english(english):
    page = english.get("/register/")
    answer = english.post("/register/", data={"csrf_token": form_fields(page)["csrf_token"], "hq": "", "email": ""})
    assert answer.status_code == 400
    assert_english(answer)


def test_the_application_and_activation_are_english(app, english):
    page = english.get("/register/")
    english.post("/register/", data={"csrf_token": form_fields(page)["csrf_token"], "hq": "chitose",
                                     "email": "english@example.jp"})
    with app.app_context(), db.connection_context():
        mail = OutgoingMail.select().where(OutgoingMail.to_address == "english@example.jp").get()
    apply_path = urlsplit(LINK.search(mail.body).group(0)).path
    assert_english(english.get(apply_path))
    form = english.get(apply_path)
    invalid = english.post(apply_path, data={"csrf_token": form_fields(form)["csrf_token"], "action": "submit",
                                             **dict(VALID_APPLICATION, name_kana="ちとせ", terms="",
                                                    place1_lat="1", eligibility="")})
    assert invalid.status_code == 400
    assert_english(invalid)
    saved = english.post(apply_path, data={"csrf_token": form_fields(form)["csrf_token"], "action": "save",
                                           **VALID_APPLICATION}, follow_redirects=True)
    assert_english(saved)
    sent = english.post(apply_path, data={"csrf_token": form_fields(form)["csrf_token"], "action": "submit",
                                          **VALID_APPLICATION}, follow_redirects=True)
    assert_english(sent)


# ---- The resident's pages ------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/?kind=fire", "/?place=home", "/?kind=ambulance", "/account/",
                                  "/account/cancelled"])
def test_the_residents_pages_are_english(resident, path):
    assert_english(resident.get(path))


def test_the_chat_with_questions_status_and_transfer_is_english(app, resident):
    number = case_number_of(start_report(resident, kind="fire", place="home"))
    with app.app_context(), db.connection_context():
        report = Report.get(Report.case_number == number)
        staff = staff_of("chitose")
        post_message(report, actor="staff", staff=staff, body="すぐに行きます", client_id="c" * 32)
        ask_question(report, staff=staff, body="建物は何階ですか？", choices=["1階", "2階"], client_id="d" * 32)
        set_status(report, "dispatched", staff, reason="ポンプ車")
    assert_english(resident.get(f"/reports/{number}"))
    assert_english(resident.get(f"/reports/{number}/log"))
    with app.app_context(), db.connection_context():
        report = Report.get(Report.case_number == number)
        transfer_report(report, Headquarters.get(Headquarters.code == "eniwa"), staff_of("chitose"), reason="管轄")
    assert_english(resident.get(f"/reports/{number}"))
    assert_english(resident.get(f"/reports/{number}/log"))
    with app.app_context(), db.connection_context():
        set_status(Report.get(Report.case_number == number), "closed", staff_of("eniwa"))
    assert_english(resident.get(f"/reports/{number}"))
    assert_english(resident.get(f"/reports/{number}/log"))


def test_the_not_opened_notice_is_english(app, resident):
    app.config["UNSEEN_REPORT_SECONDS"] = 0
    number = case_number_of(start_report(resident, kind="ambulance"))
    page = resident.get(f"/reports/{number}")
    assert 'id="unseen"' in page.text
    assert_english(page)
    assert_english(resident.get(f"/reports/{number}/log"))


def test_a_message_refused_is_english(resident):
    number = case_number_of(start_report(resident))
    page = resident.get(f"/reports/{number}")
    answer = resident.post(f"/reports/{number}/messages", data={**form_fields(page), "body": ""})
    assert answer.status_code == 400
    assert_english(answer)


def test_the_account_forms_with_errors_are_english(resident):
    page = resident.get("/account/")
    token = form_fields(page)["csrf_token"]
    for path, data in (("/account/profile", {"address": ""}),
                       ("/account/password", {"current": "wrong-password", "password": "a", "confirm": "b"}),
                       ("/account/places", {"place1_lat": "500"}),
                       ("/account/cancel", {"current": ""})):
        answer = resident.post(path, data={"csrf_token": token, **data})
        assert answer.status_code in (400, 429), path
        assert_english(answer)


@pytest.mark.parametrize("code", [403, 404, 409, 429, 500, 503])
def test_error_pages_are_english(app, english, code):
    from werkzeug.exceptions import default_exceptions

    @app.get(f"/test-error-{code}")
    def fail():
        raise default_exceptions[code]() if code != 500 else RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    answer = english.get(f"/test-error-{code}")
    assert answer.status_code == code
    assert_english(answer)


def test_the_place_first_taps_and_a_frequent_place_are_english(app, resident):
    from app.models import FrequentPlace, Resident

    with app.app_context(), db.connection_context():
        Headquarters.update(tap_order="place-first").where(Headquarters.code == "chitose").execute()
        owner = Resident.get(Resident.login == app.accounts["residents"][0]["login"])
        place = FrequentPlace.select().where(FrequentPlace.resident == owner).first()
    assert_english(resident.get("/"))
    assert_english(resident.get(f"/?place=frequent-{place.id}"), title_may_name=place.label)
    # The fragment htmx asks for is the same markup.
    fragment = resident.get(f"/?place=frequent-{place.id}", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert_english(fragment)


def test_an_answer_tapped_is_english(app, resident):
    number = case_number_of(start_report(resident, kind="ambulance", place="home"))
    page = resident.get(f"/reports/{number}")
    question = re.search(r'name="question_seq" value="(\d+)"', page.text).group(1)
    answered = resident.post(f"/reports/{number}/answers", data={
        **form_fields(page), "question_seq": question, "choice": "急病"}, follow_redirects=True)
    assert answered.status_code == 200
    assert_english(answered)
    # Stored as 急病 for the dispatcher; shown as the chip the resident tapped.
    answer = answered.text.split("event--answer")[1].split("</li>")[0]
    assert "Sudden illness" in answer and "急病" not in answer


def test_a_practice_title_is_english(resident):
    page = resident.get("/practice")
    title = re.search(r"<title>(.*?)</title>", page.text, re.S).group(1)
    assert not JAPANESE.search(title), title


def test_the_demo_mailbox_is_english_and_its_japanese_mails_are_marked(app, english):
    app.config["MAILBOX_PAGE"] = True
    page = english.get("/register/")
    english.post("/register/", data={"csrf_token": form_fields(page)["csrf_token"], "hq": "chitose",
                                     "email": "mailbox@example.jp"})
    mailbox = english.get("/register/mailbox")
    assert "mailbox@example.jp" in mailbox.text
    assert_english(mailbox)


def test_the_request_for_a_link_is_headed_in_english(english):
    assert "<h1>Apply for NET119</h1>" in english.get("/register/").text


def test_an_error_page_is_headed_in_the_residents_language(app, english):
    """Both languages, but the heading a screen reader finds first is the one they read."""
    missing = english.get("/no-such-page")
    assert '<h1 lang="en">This page does not exist.</h1>' in missing.text
    assert '<p lang="ja">ページが見つかりません。</p>' in missing.text
    english.set_cookie("net119_lang", "ja")
    assert '<h1 lang="ja">ページが見つかりません。</h1>' in english.get("/no-such-page").text


def test_a_bilingual_mail_in_the_demo_mailbox_marks_each_half_in_its_language(app, english):
    """The mails are Japanese, then English (templates/mail): each half is read in its own voice."""
    app.config["MAILBOX_PAGE"] = True
    page = english.get("/register/")
    english.post("/register/", data={"csrf_token": form_fields(page)["csrf_token"], "hq": "chitose",
                                     "email": "halves@example.jp"})
    body = english.get("/register/mailbox").text.split('class="mail__body">')[1].split("</pre>")[0]
    assert body.startswith('<span lang="ja">'), body[:80]
    english_half = body.index('<span lang="en">')
    assert english_half < body.index("In English") < body.index("This is the link to your")
    assert 'lang="en"' not in body[:english_half]
