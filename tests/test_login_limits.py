"""Failed logins: a short back-off per login ID and per client address, the same for every login typed."""
import re
import threading
from datetime import timedelta

import pytest

from app import auth, create_app, login_limits
from app.extensions import db
from app.login_limits import BY_ADDRESS, BY_LOGIN, BackOff
from app.models import LoginFailure, utcnow

from .conftest import form_fields


def post_login(client, login, password, path="/login", address="203.0.113.7"):
    """Post the login form from ``address``; return the response."""
    page = client.get(path, environ_base={"REMOTE_ADDR": address})
    return client.post(path, data={"csrf_token": form_fields(page)["csrf_token"], "login": login,
                                   "password": password}, environ_base={"REMOTE_ADDR": address})


def without_token(html):
    """The page with its per-request CSRF token taken out, to compare two answers."""
    return re.sub(r'value="[^"]{40,}"|"X-CSRFToken": "[^"]+"', "", html)


def resident(app):
    return app.accounts["residents"][0]


def age_failures(app, seconds):
    """Move every recorded failure ``seconds`` into the past, as if that time had gone by."""
    with app.app_context(), db.connection_context():
        for row in LoginFailure.select():
            row.failed_at -= timedelta(seconds=seconds)
            row.save()


def test_five_failures_then_a_short_wait_even_for_the_right_password(app, client):
    account = resident(app)
    for _ in range(BY_LOGIN.free):
        assert post_login(client, account["login"], "wrong-password").status_code == 400

    refused = post_login(client, account["login"], account["password"])

    assert refused.status_code == 429
    assert 25 <= int(refused.headers["Retry-After"]) <= 30
    assert "30秒ほど待って" in refused.text and "Too many failed logins. Wait 30 seconds" in refused.text
    assert "エラー：" in refused.text.split("</title>")[0]
    assert client.get("/").status_code == 302  # not logged in

    age_failures(app, 31)
    assert post_login(client, account["login"], account["password"]).status_code == 303


def test_each_further_failure_doubles_the_wait_up_to_five_minutes():
    now = utcnow()
    waits = [BY_LOGIN.wait([now] * count, now) for count in range(4, 12)]
    assert waits == [timedelta(0), *(timedelta(seconds=s) for s in (30, 60, 120, 240, 300, 300, 300))]
    # The wait runs from the last failure; failures outside the window were never passed in.
    assert BY_LOGIN.wait([now - timedelta(seconds=40)] * 5, now) == timedelta(0)


def test_success_forgets_the_failures_of_that_login(app, client):
    account = resident(app)
    for _ in range(BY_LOGIN.free - 1):
        post_login(client, account["login"], "wrong-password")
    assert post_login(client, account["login"], account["password"]).status_code == 303
    client.post("/logout", data={"csrf_token": form_fields(client.get("/"))["csrf_token"]})

    # A typo next week starts from five free tries again.
    for _ in range(BY_LOGIN.free - 1):
        assert post_login(client, account["login"], "wrong-password").status_code == 400
    assert post_login(client, account["login"], account["password"]).status_code == 303


def test_unknown_login_and_wrong_password_get_the_same_answers(app, client):
    known, unknown = resident(app)["login"], "chitose-nobody"
    answers = {}
    for login in (known, unknown):
        answers[login] = []
        for _ in range(BY_LOGIN.free + 1):
            response = post_login(client, login, "wrong-password", address=f"198.51.100.{len(answers)}")
            answers[login].append((response.status_code, without_token(response.text).replace(login, "")))
    assert answers[known] == answers[unknown]
    assert [status for status, _ in answers[known]] == [400] * BY_LOGIN.free + [429]


def test_unknown_login_costs_the_same_password_check_as_a_wrong_password(app, client, monkeypatch):
    checks = []
    real = auth._hasher

    class CountingHasher:
        def hash(self, password):
            return real.hash(password)

        def verify(self, password_hash, password):
            checks.append(password_hash == auth._DUMMY_HASH)
            return real.verify(password_hash, password)

    monkeypatch.setattr(auth, "_hasher", CountingHasher())
    post_login(client, resident(app)["login"], "wrong-password")
    post_login(client, "chitose-nobody", "wrong-password")

    # One Argon2 verification each: against the real hash, then against the stand-in.
    assert checks == [False, True]


def test_one_address_trying_many_logins_waits_but_others_do_not(app, client):
    for n in range(BY_ADDRESS.free):
        assert post_login(client, f"guess-{n}", "wrong-password", address="192.0.2.50").status_code == 400

    assert post_login(client, "guess-new", "wrong-password", address="192.0.2.50").status_code == 429
    account = resident(app)
    assert post_login(client, account["login"], account["password"], address="192.0.2.51").status_code == 303


def test_failures_survive_a_restart(app, client):
    account = resident(app)
    for _ in range(BY_LOGIN.free):
        post_login(client, account["login"], "wrong-password")

    restarted = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret",
                            "TESTING": True})
    response = post_login(restarted.test_client(), account["login"], account["password"])

    assert response.status_code == 429


def test_failures_from_many_threads_are_all_counted(app):
    account = resident(app)
    barrier = threading.Barrier(BY_LOGIN.free)
    statuses = []

    def fail():
        client = app.test_client()
        page = client.get("/login", environ_base={"REMOTE_ADDR": "203.0.113.9"})
        barrier.wait()
        statuses.append(client.post("/login", data={
            "csrf_token": form_fields(page)["csrf_token"], "login": account["login"],
            "password": "wrong-password"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code)

    threads = [threading.Thread(target=fail) for _ in range(BY_LOGIN.free)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [400] * BY_LOGIN.free
    assert post_login(app.test_client(), account["login"], account["password"]).status_code == 429


def test_staff_share_the_limit_and_it_is_kept_apart_from_residents(app, client):
    dispatcher = next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose")
    for _ in range(BY_LOGIN.free):
        post_login(client, dispatcher["login"], "wrong-password", path="/dispatch/login")

    assert post_login(client, dispatcher["login"], dispatcher["password"],
                      path="/dispatch/login").status_code == 429
    # The same text typed as a resident login ID is a different account, with its own count.
    assert post_login(client, dispatcher["login"], "wrong-password").status_code == 400


def test_what_was_typed_is_not_stored(app, client):
    post_login(client, "my-secret-password-typed-here", "wrong-password", address="192.0.2.77")
    with app.app_context(), db.connection_context():
        keys = [row.key for row in LoginFailure.select()]
    assert len(keys) == 2
    assert all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)
    assert not any("secret" in key or "192.0.2.77" in key for key in keys)


@pytest.mark.parametrize("seconds, ja, en", [(1, "1秒", "1 second "), (30, "30秒", "30 seconds"),
                                              (60, "1分", "1 minute "), (61, "2分", "2 minutes")])
def test_the_wait_is_said_in_plain_words(seconds, ja, en):
    from app.forms import wait_to_log_in

    message = wait_to_log_in(seconds)
    assert ja in message and f"Wait {en}" in message


def test_old_failures_are_cleared_away(app, client):
    post_login(client, "someone", "wrong-password")
    age_failures(app, int(max(BY_LOGIN.window, BY_ADDRESS.window).total_seconds()) + 1)
    post_login(client, "someone-else", "wrong-password")
    with app.app_context(), db.connection_context():
        assert LoginFailure.select().count() == 2


def test_back_off_never_waits_longer_than_its_ceiling():
    backoff = BackOff("test", free=1, window=timedelta(hours=1), first_wait=timedelta(seconds=30),
                      longest_wait=timedelta(minutes=5))
    now = utcnow()
    assert backoff.wait([now] * 60, now) == timedelta(minutes=5)
    assert login_limits.BY_LOGIN.longest_wait <= timedelta(minutes=5)


def test_behind_trusted_proxies_the_forwarded_client_address_counts(app, client):
    app.config["TRUSTED_PROXY_HOPS"] = 1

    def fail(client_address, typed_chain="", login="guess-new"):
        page = client.get("/login")
        return client.post("/login", data={"csrf_token": form_fields(page)["csrf_token"],
                                           "login": login, "password": "wrong"},
                           environ_base={"REMOTE_ADDR": "10.0.0.2"},
                           headers={"X-Forwarded-For": f"{typed_chain}{client_address}"})

    for n in range(BY_ADDRESS.free):
        # A client typing its own X-Forwarded-For does not escape: the proxy's entry is the last.
        assert fail("198.51.100.20", typed_chain=f"10.9.9.{n}, ", login=f"guess-{n}").status_code == 400
    assert fail("198.51.100.20").status_code == 429
    # Another client behind the same proxy is not held back.
    assert fail("198.51.100.21").status_code == 400


def test_without_trusted_proxies_a_typed_forwarded_header_is_ignored(app, client):
    for n in range(BY_ADDRESS.free):
        page = client.get("/login")
        client.post("/login", data={"csrf_token": form_fields(page)["csrf_token"], "login": f"guess-{n}",
                                    "password": "wrong"}, environ_base={"REMOTE_ADDR": "192.0.2.60"},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"})
    assert post_login(client, "guess-new", "wrong", address="192.0.2.60").status_code == 429
