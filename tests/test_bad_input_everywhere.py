"""Bad input at every route of the app: never a 5xx.

Every route of the URL map (the sockets aside: tests/test_sockets.py) gets, as nobody, a
resident, an administrator and a dispatcher: unknown, non-numeric and huge ids, another
HQ's ids, wrong methods, a missing or bad CSRF token, junk and huge values, bytes that are
not UTF-8, JSON where a form is expected, and repeated fields. Whatever the answer (400,
403, 404, 405, 413 …), it is a page of ours. A route added later is fuzzed without a word.
"""
import re

import pytest

from app.extensions import db
from app.models import Headquarters, Report, Resident, Staff
from app.registration.links import application_token

from .conftest import form_fields, login_as, start_report

# Query strings worth a try of their own; every route is also tried as it is.
WITH_QUERIES = [
    ("GET", "/admin/questions/edit?kind=x"), ("POST", "/admin/questions/edit?kind=fire"),
    ("GET", "/practice?kind=zzz"), ("GET", "/practice?place=frequent-" + "9" * 30),
    ("GET", "/?kind=zzz&place=frequent-" + "9" * 30),
    ("GET", "/proxy?case={id}"), ("GET", "/proxy?place=here&lat=abc&lon=1e999&landmark=" + "x" * 3000),
    ("GET", "/proxy?place=here&lat=95&lon=500"), ("GET", "/proxy?kind=<script>&place=here&lat=nan&lon=inf"),
    ("GET", "/register/?lat=abc&lon=def"), ("GET", "/register/?lat=1e400&lon=3"),
    ("GET", "/dispatch/cases/{id}?after=" + "9" * 30), ("GET", "/reports/{case}?after=-1"),
]
PLACEHOLDER = re.compile(r"<(?:[^:>]+:)?([^>]+)>")
PLACEHOLDERS = {"token": "{token}", "case_number": "{case}", "lang": "{id}", "code": "{id}"}


def routes(app):
    """(method, path with {id}/{case}/{token}/{resident}/{staff}) for every route but sockets and static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or getattr(rule, "websocket", False):
            continue
        path = PLACEHOLDER.sub(lambda m: PLACEHOLDERS.get(m[1], "{resident}" if m[1] == "resident_id" else
                                                           "{staff}" if m[1] == "staff_id" else "{id}"), rule.rule)
        found += [(method, path) for method in sorted(rule.methods & {"GET", "POST"})]
    # Last, what ends the session (a logout, cancelling the account): the rest is tried logged in.
    return sorted(found + WITH_QUERIES, key=lambda route: re.search(r"logout|cancel", route[1]) is not None)


IDS = ["999999", "-1", "abc", "1e3", "0", "%00", "9" * 30, "9" * 5000, "²", "１２"]
FIELDS = ["action", "status", "active", "text", "login", "name", "role", "password", "confirm", "current", "address",
          "phone", "fax", "tap_order", "tree", "reason", "kind", "place", "place_text", "lat", "lon", "accuracy",
          "client_id", "body", "email", "hq", "birth_date", "sex", "terms", "place1_lat", "place1_lon",
          "place1_label", "contact_name", "contact_consent", "eligibility", "disability_type", "name_kana"]
JUNK = "\x00\u202e<b>\U0001F525１２"


def bodies(token):
    """The bodies a POST is tried with: (name, keyword arguments of client.open)."""
    return [
        ("nothing", {}),
        ("bad token", {"data": {"csrf_token": "bad"}}),
        ("token only", {"data": {"csrf_token": token}}),
        ("junk", {"data": {"csrf_token": token, **{name: JUNK for name in FIELDS}}}),
        ("huge", {"data": {"csrf_token": token, **{name: "あ" * 2000 for name in FIELDS}}}),
        ("json", {"json": {"csrf_token": token, "body": 1, "action": ["x"]}}),
        ("not utf-8", {"data": b"csrf_token=" + token.encode() + b"&body=\xff\xfe&name=\xff&action=\xff",
                       "content_type": "application/x-www-form-urlencoded"}),
        ("huge id", {"data": {"csrf_token": token, "kind": "fire", "place": "frequent-" + "9" * 30,
                              "client_id": "fuzz-client-0001", "status": "active", "phrase": "9" * 30}}),
        ("odd digits", {"data": {"csrf_token": token, "kind": "fire", "place": "frequent-²",
                                 "client_id": "fuzz-client-0002", "phrase": "²"}}),
        ("repeated", {"data": {"csrf_token": token, "action": ["approve", "reject"], "status": ["suspended", "x"],
                               "body": ["a", "b"], "place": ["home", "current"]}}),
    ]


@pytest.fixture
def others(app):
    """A signed application link, and ids of another HQ's resident and staff member."""
    with app.test_request_context():
        token = application_token(Headquarters.get(code="chitose"), "fuzz@example.jp")
    with db.connection_context():
        other = Headquarters.get((Headquarters.code != "chitose") & (Headquarters.uses_service == True))  # noqa: E712
        resident = Resident.create(login="other-hq-resident", password_hash="!", hq=other, name="他本部 利用者")
        staff = Staff.select().where(Staff.hq == other).first()
    return {"token": token, "resident": resident.id, "staff": staff.id}


@pytest.mark.parametrize("who", [None, "residents", "admins", "dispatchers"])
def test_no_bad_input_gets_a_server_error(app, others, who):
    client = app.test_client()
    if who:
        login_as(client, next(a for a in app.accounts[who] if a["hq"] == "chitose"),
                 "/login" if who == "residents" else "/dispatch/login")
    # A report of this resident's (a dispatcher of chitose's case): the routes then reach their own code too.
    resident = app.test_client()
    login_as(resident, next(a for a in app.accounts["residents"] if a["hq"] == "chitose"))
    case = start_report(resident).headers["Location"].rsplit("/", 1)[1]
    with db.connection_context():
        report_id = Report.get(case_number=case).id
    failures = []
    for method, route in routes(app):
        paths = {route.format(id=i, resident=i, staff=i, case=i, token=others["token"]) for i in IDS}
        paths.add(route.format(id=report_id, resident=others["resident"], staff=others["staff"], case=case,
                               token=others["token"]))
        for path in sorted(paths):
            # Asked afresh: a post here may have started a new session (logging out other devices).
            token = form_fields(client.get("/register/"))["csrf_token"]
            tries = bodies(token) if method == "POST" else [(m, {"method": m}) for m in ("GET", "HEAD", "PUT", "DELETE")]
            for name, options in tries:
                options = {"method": method, **options}
                response = client.open(path, **options)
                if response.status_code >= 500:
                    failures.append(f"{options['method']} {path} ({name}): {response.status_code}")
    assert not failures, "\n".join(failures)
