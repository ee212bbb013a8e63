"""Residents are isolated from each other (the console's twin: tests/test_isolation_console.py).

Generated from the URL map: every resident, practice and proxy-card URL that names a report
or a practice session, each method, the WebSocket handshakes and the proxy card's ``?case=``
(page and audio), tried by another resident against an existing report or practice and against
numbers that do not exist. None may succeed, nothing may be stored, and the answer must not
tell an existing case from a missing one.
"""
import re

import pytest

from app.auth import hash_password
from app.extensions import db
from app.models import Headquarters, Report, ReportEvent, Resident
from app.practice import store

from .conftest import form_fields, login_as, start_report

WEBSOCKET = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
             "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "http://localhost"}
OTHER = {"login": "eniwa-jiro", "password": "eniwa-jiro-password"}


@pytest.fixture
def world(app):
    """Taro's real report and practice session; Jiro (another HQ's resident) logged in."""
    with db.connection_context():
        Resident.create(login=OTHER["login"], password_hash=hash_password(OTHER["password"]),
                        hq=Headquarters.get(Headquarters.code == "eniwa"), status="active",
                        name="恵庭 次郎", name_kana="エニワ ジロウ", address="北海道恵庭市", email="jiro@example.jp")
    taro = app.test_client()
    login_as(taro, app.accounts["residents"][0])
    case = start_report(taro).headers["Location"].rsplit("/", 1)[1]
    page = taro.get("/practice?kind=fire")
    practice = taro.post("/practice/reports", data={**form_fields(page), "kind": "fire", "place": "home"})
    practice_case = practice.headers["Location"].rsplit("/", 1)[1]
    jiro = app.test_client()
    login_as(jiro, OTHER)
    return {"case": case, "practice": practice_case, "jiro": jiro}


def resident_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("report", "practice") and "case_number" in rule.arguments:
            yield rule


def snapshot():
    with db.connection_context(), store.practice_db.connection_context():
        return (ReportEvent.select().count(), [(r.id, r.status, r.staff_read_seq, r.resident_read_seq)
                                                for r in Report.select()],
                store.PracticeEvent.select().count(),
                [(s.id, s.resident_read_seq, s.last_seq) for s in store.PracticeSession.select()])


def body_of(response, path):
    text = response.get_data(as_text=True)
    text = re.sub(r'(csrf_token" value="|X-CSRFToken": ")[^"]+', r"\1", text)
    return re.sub(r'name="client_id" value="[^"]+"', "", text).replace(path, "{path}")


def test_another_resident_reaches_nothing_of_a_report_or_a_practice(app, world):
    jiro = world["jiro"]
    token = form_fields(jiro.get("/account/"))["csrf_token"]
    before = snapshot()
    tried, answers = 0, {}
    for rule in resident_rules(app):
        target = world["practice"] if rule.endpoint.startswith("practice.") else world["case"]
        for exists, number in ((True, target), (False, target[:-4] + "9999"), (False, "no-such-case")):
            path = rule.build({"case_number": number}, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if rule.endpoint.endswith("socket"):
                    response = jiro.get(path, headers=WEBSOCKET)
                elif method == "GET":
                    response = jiro.get(path)
                else:
                    response = jiro.post(path, data={"csrf_token": token, "body": "じろうの書き込み",
                                                     "client_id": f"jiro-{tried:012d}", "question_seq": "1",
                                                     "choice": "はい"})
                tried += 1
                assert response.status_code in (403, 404), (rule.endpoint, method, path, response.status_code)
                answers.setdefault((rule.endpoint, method), set()).add((response.status_code,
                                                                       body_of(response, path)))
    for query in ("case={}", "case={}&place=home", "case={}&place=here&lat=42.8&lon=141.6"):
        for exists, number in ((True, world["case"]), (False, world["case"][:-4] + "9999")):
            for path in ("/proxy", "/proxy/audio/ja.mp3", "/proxy/audio/en.mp3"):
                response = jiro.get(f"{path}?{query.format(number)}")
                tried += 1
                assert response.status_code == 404, (path, query, response.status_code)
                assert "千歳" not in response.get_data(as_text=True)
    assert tried >= 40, tried
    leaks = {key: sorted(code for code, _ in seen) for key, seen in answers.items() if len(seen) > 1}
    assert leaks == {}, f"answers differ between existing and missing cases: {leaks}"
    assert snapshot() == before
