"""Every form, posted with any one of its fields left out, is answered: never an error page.

A browser always sends every field of a form, but a hand-made request, an old page's
form after an update, or a proxy that drops a field need not. WTForms leaves a missing
text field ``None``, which reached NOT NULL columns (the profile without its phone
number was answered 503, "database unavailable"). The forms here are read from the
pages themselves, so a form added later is covered without touching this test.
"""
from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Report

from .conftest import form_fields, login_as, start_report
from .test_registration import outbox_link

# Actions that end the session or the account would end the run's logins, not test a form.
SKIPPED_ACTIONS = ("/logout", "/dispatch/logout", "/account/cancel", "/account/devices")


class PageForms(HTMLParser):
    """The POST forms of a page: their action and their fields as a browser would send them."""

    def __init__(self, page_url):
        super().__init__()
        self.page_url, self.forms, self.form, self.select, self.textarea = page_url, [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "get").lower() == "post":
            self.form = (attrs.get("action") or self.page_url, [])
            self.forms.append(self.form)
        if self.form is None or "name" not in attrs and tag != "option":
            return
        if tag == "input" and attrs.get("type", "text") not in ("submit", "button", "image", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.form[1].append((attrs["name"], attrs.get("value", "on")))
        elif tag == "textarea":
            self.textarea = [attrs["name"], ""]
            self.form[1].append(self.textarea)
        elif tag == "select":
            self.select = [attrs["name"], None]
            self.form[1].append(self.select)
        elif tag == "option" and self.select is not None and (self.select[1] is None or "selected" in attrs):
            self.select[1] = attrs.get("value", "")

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None


def forms_on(client, url):
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    parser = PageForms(url)
    parser.feed(page.text)
    # An action's #fragment only says where the answer scrolls to (the account page's sections).
    actions = [(action.split("#")[0], fields) for action, fields in parser.forms]
    return [(action, [tuple(field) for field in fields]) for action, fields in actions
            if not action.endswith(SKIPPED_ACTIONS)]


def post_each_without_one_field(client, url, posted, failed):
    """Post every form of ``url`` once per field, that field left out."""
    for action, fields in forms_on(client, url):
        for left_out in sorted({name for name, _ in fields}):
            answer = client.post(action, data=MultiDict([f for f in fields if f[0] != left_out]))
            posted.append((action, left_out))
            if answer.status_code >= 500:
                failed.append((url, action, left_out, answer.status_code))


def test_every_form_answers_a_post_with_a_field_left_out(app):
    resident, dispatcher, admin = app.test_client(), app.test_client(), app.test_client()
    login_as(resident, app.accounts["residents"][0])
    login_as(dispatcher, next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose"),
             path="/dispatch/login")
    login_as(admin, next(a for a in app.accounts["admins"] if a["hq"] == "chitose"), path="/dispatch/login")
    chat = start_report(resident).headers["Location"]
    applicant = app.test_client()
    applicant.post("/register/", data={**form_fields(applicant.get("/register/")), "hq": "chitose",
                                       "email": "form@example.jp"})
    application = outbox_link(app, "form@example.jp")
    with db.connection_context():
        case = f"/dispatch/cases/{Report.get().id}"

    posted, failed = [], []
    for client, urls in ((app.test_client(), ["/login", "/dispatch/login", "/register/"]),
                         (applicant, [application]),
                         (resident, ["/account/", "/", "/?kind=fire", chat, "/practice"]),
                         (admin, ["/admin/phrases", "/admin/staff", "/admin/settings", "/admin/residents",
                                 "/admin/questions"]),
                         (dispatcher, [case])):
        for url in urls:
            post_each_without_one_field(client, url, posted, failed)
    assert failed == []
    # The forms were found and their fields left out one by one (the test is not empty).
    actions = {action for action, _ in posted}
    assert {"/account/profile", "/account/password", "/reports", "/admin/staff", f"{case}/status",
            f"{case}/transfer", f"{case}/questions", f"{chat}/messages", application} <= actions, sorted(actions)
    assert ("/account/profile", "phone") in posted
