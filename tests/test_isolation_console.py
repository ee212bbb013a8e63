"""Tenant isolation of the console and /admin (SPEC §4): HQ B can do nothing with HQ A's cases.

Generated: every console and admin URL that names a case or an HQ's object, each
HTTP method, htmx fragment and boosted variants, realistic payloads and the
WebSocket handshake, tried as HQ B's dispatcher and HQ B's administrator
against HQ A's cases (open, claimed, closed) and against ids that do not
exist. None may succeed, nothing may be stored, and for each attempt the
answer must be the same whether the target exists or not. A control runs the
same payloads as HQ A's own dispatcher, so the attempts are known to be ones
that would work for the right HQ.
"""
import re
from itertools import count

import pytest

from app.extensions import db
from app.models import (Application, AuditEntry, CannedPhrase, Headquarters, Report, ReportEvent, Resident,
                        Staff)
from app.reporting import open_report, set_status
from app.routing import Fix

from .conftest import form_fields, login_as

CASES_OF_A = 6
MISSING = 6
GET_VARIANTS = {"page": {}, "fragment": {"HX-Request": "true"},
                "boosted": {"HX-Request": "true", "HX-Boosted": "true"}}
WEBSOCKET = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
             "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "http://localhost"}
_ids = count(1)
APPLICATION = {"name": "申請 花子", "name_kana": "シンセイ ハナコ", "birth_date": "1970-01-01", "sex": "女性",
               "address": "北海道千歳市東雲町1丁目"}
EXPECT = "_control_status"  # what the case's own HQ gets, when not 200 or 303


def client_id():
    return f"isolation-{next(_ids):06d}"


def payloads(ids):
    """Form fields per endpoint that would succeed for the case's own HQ (``ids``: A's object ids)."""
    return {
        "dispatch.send_message": [{"body": "B からの書き込み", "client_id": client_id}],
        # B's own phrase on A's case: refused (400) even for A, whose list it is not on.
        "dispatch.send_phrase": [{"phrase": ids["phrase_a"], "client_id": client_id},
                                 {"phrase": ids["phrase_b"], "client_id": client_id, EXPECT: 400}],
        "dispatch.ask": [{"ask-body": "B の質問", "ask-choices": "一、二", "ask-client_id": client_id}],
        "dispatch.locate": [{"client_id": client_id}],
        "dispatch.claim": [{"action": "claim"}, {"action": "release"},
                           {"action": "take_over", "holder": str(ids["staff_a"])}],
        "dispatch.push_status": [{"status": "dispatched"}, {"status": "closed", "reason": "B が終了"}],
        "dispatch.transfer": [{"hq": "eniwa"}, {"hq": "sapporo", "reason": "B が引き継ぎ"}],
        "admin.application": [{"action": "approve"}, {"action": "reject", "reason": "B が却下"}],
        # A's resident has open cases here: even A may not suspend them until those are closed.
        "admin.resident_status": [{"status": "suspended", EXPECT: 409}],
        # A's resident is active: even A is told the activation mail cannot be sent again.
        "admin.activation_mail_again": [{EXPECT: 409}],
        "admin.resident_address": [{"email": "b.wrote.this@docomo.ne.jp"}],
        "admin.phrase_change": [{"action": "delete"}, {"action": "up"},
                                {"phrase-{id}-text": "B が書き換え", "action": "save"}],
        "admin.staff_active": [{"active": "0"}],
    }


def targeted_rules(app):
    """Every console/admin rule whose URL names one object, with that argument's name."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("dispatch", "admin") and len(rule.arguments) == 1:
            yield rule, next(iter(rule.arguments))


def make_case(resident, n, **state):
    report, _ = open_report(resident, kind=("fire", "ambulance")[n % 2], place_kind="current",
                            client_id=f"isolation-case-{n:04d}", fix=Fix(42.82102, 141.65088, 15))
    if state.get("claimed_by"):
        Report.update(claimed_by=state["claimed_by"]).where(Report.id == report.id).execute()
    if state.get("closed"):
        set_status(report, "closed", state["staff"])
    return report.id


def snapshot():
    """Everything an attempt could change."""
    return (ReportEvent.select().count(), AuditEntry.select().count(),
            [(r.id, r.status, r.claimed_by_id, r.receiving_hq_id, r.staff_read_seq) for r in Report.select()],
            [(p.id, p.text, p.position) for p in CannedPhrase.select().order_by(CannedPhrase.id)],
            [(s.id, s.active) for s in Staff.select()], [(r.id, r.status, r.email) for r in Resident.select()],
            [(a.id, a.status) for a in Application.select()])


def normalised(response, path):
    """The body with what differs between any two responses anyway: tokens and the echoed path."""
    body = response.get_data(as_text=True)
    body = re.sub(r'(csrf_token" value="|X-CSRFToken": ")[^"]+', r"\1", body)
    body = re.sub(r'(name="client_id" value=")[^"]+', r"\1", body)
    return body.replace(path, "{path}").replace(path.replace("/", "%2F"), "{path}")


@pytest.fixture
def world(app):
    """HQ A (Chitose) with cases and objects; HQ B (Eniwa) logged in twice; A's own console for the control."""
    with db.connection_context():
        chitose = Headquarters.get(Headquarters.code == "chitose")
        eniwa = Headquarters.get(Headquarters.code == "eniwa")
        resident = Resident.get(Resident.login == "chitose-taro")
        staff_a = Staff.get(Staff.login == "chitose-dispatcher")
        cases = [make_case(resident, n, claimed_by=staff_a if n % 3 == 1 else None,
                           closed=n % 3 == 2, staff=staff_a) for n in range(CASES_OF_A)]
        application = Application.create(hq=chitose, email="applicant@example.jp", status="submitted",
                                          draft=APPLICATION)
        ids = {"phrase_a": str(CannedPhrase.of(chitose).first().id), "phrase_b": str(CannedPhrase.of(eniwa).first().id),
               "staff_a": staff_a.id}
        targets = {
            "report_id": cases,
            "application_id": [application.id],
            "resident_id": [resident.id],
            "phrase_id": [p.id for p in CannedPhrase.of(chitose)][:3],
            "staff_id": [s.id for s in Staff.select().where(Staff.hq == chitose)],
        }
        highest = {"report_id": Report, "application_id": Application, "resident_id": Resident,
                   "phrase_id": CannedPhrase, "staff_id": Staff}
        missing = {arg: [model.select().order_by(model.id.desc()).first().id + 1 + k * 7 for k in range(MISSING)]
                   for arg, model in highest.items()}
    attackers = {}
    for kind in ("dispatchers", "admins"):
        client = app.test_client()
        login_as(client, next(a for a in app.accounts[kind] if a["hq"] == "eniwa"), path="/dispatch/login")
        attackers[f"eniwa-{kind[:-1]}"] = client
    return {"targets": targets, "missing": missing, "ids": ids, "attackers": attackers, "resident": resident}


def attempts(app, world):
    """Every (label, method, path-template, fields, headers) to try, generated from the URL map."""
    table = payloads(world["ids"])
    for rule, arg in targeted_rules(app):
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for method in methods:
            if rule.endpoint == "dispatch.case_socket":
                yield rule, arg, "websocket", "GET", None, WEBSOCKET
            elif method == "GET":
                for variant, headers in GET_VARIANTS.items():
                    yield rule, arg, variant, "GET", None, headers
            else:
                assert rule.endpoint in table, f"no payload for {rule.endpoint}: add one so it is tested"
                for n, fields in enumerate(table[rule.endpoint]):
                    for variant, headers in (("form", {}), ("htmx", {"HX-Request": "true"})):
                        yield rule, arg, f"{variant}-{n}", method, fields, headers


def build(rule, arg, target, fields, token):
    path = rule.build({arg: target}, append_unknown=False)[1]
    data = None
    if fields is not None:
        data = {k.replace("{id}", str(target)): (v() if callable(v) else v) for k, v in fields.items()
                if k != EXPECT}
        data["csrf_token" if not any(k.startswith("ask-") for k in data) else "ask-csrf_token"] = token
    return path, data


def test_hq_b_cannot_reach_hq_as_cases_over_http_htmx_or_socket_handshake(app, world):
    with db.connection_context():
        before = snapshot()
    tokens = {name: form_fields(c.get("/dispatch/"))["csrf_token"] for name, c in world["attackers"].items()}
    tried = succeeded = 0
    answers = {}
    for rule, arg, variant, method, fields, headers in attempts(app, world):
        for who, client in world["attackers"].items():
            for exists, targets in ((True, world["targets"][arg]), (False, world["missing"][arg])):
                for target in targets:
                    path, data = build(rule, arg, target, fields, tokens[who])
                    response = client.open(path, method=method, data=data, headers=headers)
                    tried += 1
                    if response.status_code not in (403, 404):
                        succeeded += 1
                        print("SUCCEEDED", who, method, path, variant, response.status_code)
                    answers.setdefault((rule.endpoint, variant, who), set()).add(
                        (response.status_code, normalised(response, path)))
    assert tried >= 1000, tried
    assert succeeded == 0
    leaks = {key: sorted(code for code, _ in seen) for key, seen in answers.items() if len(seen) > 1}
    assert leaks == {}, f"answers differ between existing and missing targets: {leaks}"
    with db.connection_context():
        assert snapshot() == before
    print(f"{tried} attempts, 0 succeeded, answers identical for existing and missing targets")


def test_the_same_attempts_work_for_the_cases_own_hq(app, world):
    """The control: HQ A's dispatcher and administrator succeed with the payloads B was refused."""
    table = payloads(world["ids"])
    owners = {}
    for kind in ("dispatchers", "admins"):
        owners[kind] = app.test_client()
        login_as(owners[kind], next(a for a in app.accounts[kind] if a["hq"] == "chitose"), path="/dispatch/login")
    with db.connection_context():
        resident = Resident.get(Resident.login == "chitose-taro")
        chitose = Headquarters.get(Headquarters.code == "chitose")
    fresh = count(100)
    for rule, arg, variant, method, fields, headers in attempts(app, world):
        if variant == "websocket" or variant.startswith("htmx"):
            continue
        owner = owners["admins" if rule.endpoint.startswith("admin.") else "dispatchers"]
        token = form_fields(owner.get("/dispatch/"))["csrf_token"]
        with db.connection_context():
            if arg == "report_id":
                target = make_case(resident, next(fresh))
                if fields == {"action": "release"}:
                    Report.update(claimed_by=world["ids"]["staff_a"]).where(Report.id == target).execute()
                if fields and fields.get("action") == "take_over":
                    other = Staff.create(login=f"chitose-extra-{target}", password_hash="x", name="別の指令員",
                                         role="dispatcher", hq=chitose)
                    Report.update(claimed_by=other).where(Report.id == target).execute()
                    fields = {**fields, "holder": str(other.id)}
            elif arg == "phrase_id":
                target = CannedPhrase.create(hq=chitose, text="控え", position=99).id
            elif arg == "staff_id":
                target = Staff.create(login=f"chitose-target-{next(fresh)}", password_hash="x", name="対象",
                                      role="dispatcher", hq=chitose).id
            elif arg == "application_id":
                target = Application.create(hq=chitose, email="a@example.jp", status="submitted",
                                            draft=APPLICATION).id
            else:
                target = world["targets"][arg][0]
        path, data = build(rule, arg, target, fields, token)
        response = owner.open(path, method=method, data=data, headers=headers)
        expected = (fields or {}).get(EXPECT)
        assert response.status_code in ((expected,) if expected else (200, 303)), (
            rule.endpoint, variant, response.status_code,
                                                    response.get_data(as_text=True)[:400])


def test_hq_b_cannot_open_or_drive_hq_as_case_sockets(live_server):
    """The real handshake and frames against a running server (the test client cannot upgrade)."""
    import json

    import websocket

    from .http_session import HttpSession

    base = live_server.base_url
    resident = HttpSession(base).login(live_server.account("residents"))
    owner = HttpSession(base).login(live_server.account("dispatchers"), path="/dispatch/login")
    cases = [owner.report_id(resident.start_report(kind=kind)) for kind in ("fire", "ambulance", "other")]
    missing = [max(cases) + 1000 + n for n in range(3)]
    attackers = [HttpSession(base).login(live_server.account(kind, hq="eniwa"), path="/dispatch/login")
                 for kind in ("dispatchers", "admins")]

    def handshake(session, report_id):
        sock = websocket.WebSocket()
        try:
            sock.connect(base.replace("http", "ws") + f"/dispatch/cases/{report_id}/ws",
                         cookie=session.cookie_header(), origin=base, timeout=10)
        except websocket.WebSocketBadStatusException as refused:
            return refused.status_code
        sock.close()
        return 101

    assert {handshake(owner, report_id) for report_id in cases} == {101}  # the control
    refusals = {(handshake(who, report_id), report_id in cases) for who in attackers
                for report_id in cases + missing}
    assert refusals == {(404, True), (404, False)}
    # B's own queue socket takes no frame that names A's cases, and shows none of them.
    queue = websocket.WebSocket()
    queue.connect(base.replace("http", "ws") + "/dispatch/ws", cookie=attackers[0].cookie_header(),
                  origin=base, timeout=10)
    try:
        for frame in ({"type": "resume", "after": 0}, {"type": "read", "seq": 5, "report_id": cases[0]},
                      {"type": "message", "report_id": cases[0], "body": "x", "client_id": "b-frame-000001"},
                      {"type": "claim", "report_id": cases[0]}, {"type": "answer", "question_seq": 1}):
            queue.send(json.dumps(frame))
            reply = queue.recv()
            assert not any(f"/dispatch/cases/{report_id}" in reply for report_id in cases)
    finally:
        queue.close()
    _, _, record = owner.request(f"/dispatch/cases/{cases[0]}/record.json")
    assert "b-frame" not in record and json.loads(record)["timeline"][-1]["action"] == "export"
