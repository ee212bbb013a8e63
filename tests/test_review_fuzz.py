"""Bad input at every route of proxy, practice, registration, admin and account: never a 5xx.

Each route gets, as nobody, a resident, an administrator and a dispatcher: unknown,
non-numeric and huge ids, another HQ's ids, wrong methods, a missing or bad CSRF token,
junk and huge values, bytes that are not UTF-8, JSON where a form is expected, and
repeated fields. Whatever the answer (400, 403, 404, 405, 413 …), it is a page of ours.
"""
import pytest

from app.extensions import db
from app.models import Headquarters, Resident, Staff
from app.registration.links import application_token

from .conftest import form_fields, login_as

ROUTES = [
    ("GET", "/account/"), ("POST", "/account/cancel"), ("GET", "/account/cancelled"),
    ("POST", "/account/devices"), ("POST", "/account/password"), ("POST", "/account/places"),
    ("POST", "/account/profile"),
    ("GET", "/admin/"), ("GET", "/admin/applications"), ("GET", "/admin/applications/{id}"),
    ("POST", "/admin/applications/{id}"), ("GET", "/admin/phrases"), ("POST", "/admin/phrases"),
    ("POST", "/admin/phrases/{id}"), ("GET", "/admin/questions"), ("GET", "/admin/questions/edit"),
    ("GET", "/admin/questions/edit?kind=x"), ("POST", "/admin/questions/edit?kind=fire"),
    ("GET", "/admin/residents"), ("POST", "/admin/residents/{resident}/status"), ("GET", "/admin/settings"),
    ("POST", "/admin/settings"), ("GET", "/admin/staff"), ("POST", "/admin/staff"),
    ("POST", "/admin/staff/{staff}/active"),
    ("GET", "/practice"), ("GET", "/practice?kind=zzz"), ("GET", "/practice?place=frequent-" + "9" * 30),
    ("POST", "/practice/reports"), ("GET", "/practice/reports/{id}"), ("GET", "/practice/reports/{id}/log"),
    ("POST", "/practice/reports/{id}/messages"),
    ("GET", "/proxy"), ("GET", "/proxy?case={id}"), ("GET", "/proxy?place=here&lat=abc&lon=1e999&landmark=" + "x" * 3000),
    ("GET", "/proxy?place=here&lat=95&lon=500"), ("GET", "/proxy?kind=<script>&place=here&lat=nan&lon=inf"),
    ("GET", "/proxy/audio/xx.mp3"), ("GET", "/proxy/offline.json"),
    ("GET", "/register/"), ("POST", "/register/"), ("GET", "/register/?lat=abc&lon=def"),
    ("GET", "/register/?lat=1e400&lon=3"), ("GET", "/register/activate/{id}"), ("POST", "/register/activate/{id}"),
    ("GET", "/register/apply/{id}"), ("POST", "/register/apply/{id}"), ("GET", "/register/apply/{token}"),
    ("POST", "/register/apply/{token}"), ("GET", "/register/mailbox"), ("GET", "/register/sent"),
]
IDS = ["999999", "-1", "abc", "1e3", "0", "%00", "9" * 30]
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
                              "client_id": "fuzz-client-0001", "status": "active"}}),
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
    failures = []
    for method, route in ROUTES:
        paths = {route.format(id=i, resident=i, staff=i, token=others["token"]) for i in IDS}
        paths.add(route.format(id=1, resident=others["resident"], staff=others["staff"], token=others["token"]))
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
