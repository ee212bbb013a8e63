"""Failed logins: a short back-off per login ID and per client address, the same for every login typed.

Nor can failures elsewhere keep the real user out (app/login_limits.py)."""
import re
import threading
from datetime import timedelta

import pytest

from app import auth, create_app, login_limits
from app.extensions import db
from app.login_limits import BACK_OFFS, BY_ADDRESS, BY_LOGIN, BY_LOGIN_AT_ADDRESS, BackOff
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
    for _ in range(BY_LOGIN_AT_ADDRESS.free):
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
    waits = [BY_LOGIN_AT_ADDRESS.wait([now] * count, now) for count in range(4, 12)]
    assert waits == [timedelta(0), *(timedelta(seconds=s) for s in (30, 60, 120, 240, 300, 300, 300))]
    # The wait runs from the last failure; failures outside the window were never passed in.
    assert BY_LOGIN_AT_ADDRESS.wait([now - timedelta(seconds=40)] * 5, now) == timedelta(0)


def test_success_forgets_the_failures_of_that_login(app, client):
    account = resident(app)
    for _ in range(BY_LOGIN_AT_ADDRESS.free - 1):
        post_login(client, account["login"], "wrong-password")
    assert post_login(client, account["login"], account["password"]).status_code == 303
    client.post("/logout", data={"csrf_token": form_fields(client.get("/"))["csrf_token"]})

    # A typo next week starts from five free tries again.
    for _ in range(BY_LOGIN_AT_ADDRESS.free - 1):
        assert post_login(client, account["login"], "wrong-password").status_code == 400
    assert post_login(client, account["login"], account["password"]).status_code == 303


def test_unknown_login_and_wrong_password_get_the_same_answers(app, client):
    known, unknown = resident(app)["login"], "chitose-nobody"
    answers = {}
    for login in (known, unknown):
        answers[login] = []
        for _ in range(BY_LOGIN_AT_ADDRESS.free + 1):
            response = post_login(client, login, "wrong-password", address=f"198.51.100.{len(answers)}")
            answers[login].append((response.status_code, without_token(response.text).replace(login, "")))
    assert answers[known] == answers[unknown]
    assert [status for status, _ in answers[known]] == [400] * BY_LOGIN_AT_ADDRESS.free + [429]


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
    for _ in range(BY_LOGIN_AT_ADDRESS.free):
        post_login(client, account["login"], "wrong-password")

    restarted = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret",
                            "TESTING": True})
    response = post_login(restarted.test_client(), account["login"], account["password"])

    assert response.status_code == 429


def test_failures_from_many_threads_are_all_counted(app):
    account = resident(app)
    barrier = threading.Barrier(BY_LOGIN_AT_ADDRESS.free)
    statuses = []

    def fail():
        client = app.test_client()
        page = client.get("/login", environ_base={"REMOTE_ADDR": "203.0.113.9"})
        barrier.wait()
        statuses.append(client.post("/login", data={
            "csrf_token": form_fields(page)["csrf_token"], "login": account["login"],
            "password": "wrong-password"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code)

    threads = [threading.Thread(target=fail) for _ in range(BY_LOGIN_AT_ADDRESS.free)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [400] * BY_LOGIN_AT_ADDRESS.free
    assert post_login(app.test_client(), account["login"], account["password"],
                      address="203.0.113.9").status_code == 429


def test_staff_share_the_limit_and_it_is_kept_apart_from_residents(app, client):
    dispatcher = next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose")
    for _ in range(BY_LOGIN_AT_ADDRESS.free):
        post_login(client, dispatcher["login"], "wrong-password", path="/dispatch/login")

    assert post_login(client, dispatcher["login"], dispatcher["password"],
                      path="/dispatch/login").status_code == 429
    # The same text typed as a resident login ID is a different account, with its own count.
    assert post_login(client, dispatcher["login"], "wrong-password").status_code == 400


def test_what_was_typed_is_not_stored(app, client):
    post_login(client, "my-secret-password-typed-here", "wrong-password", address="192.0.2.77")
    with app.app_context(), db.connection_context():
        keys = [row.key for row in LoginFailure.select()]
    assert len(keys) == 3  # the login from this address, the login anywhere, the address
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
    age_failures(app, int(max(backoff.window for backoff in BACK_OFFS).total_seconds()) + 1)
    post_login(client, "someone-else", "wrong-password")
    with app.app_context(), db.connection_context():
        assert LoginFailure.select().count() == 3


def test_back_off_never_waits_longer_than_its_ceiling():
    backoff = BackOff("test", free=1, window=timedelta(hours=1), first_wait=timedelta(seconds=30),
                      longest_wait=timedelta(minutes=5))
    now = utcnow()
    assert backoff.wait([now] * 60, now) == timedelta(minutes=5)
    assert all(backoff.longest_wait <= timedelta(minutes=5) for backoff in login_limits.BACK_OFFS)


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


def dispatcher_of(app):
    return next(a for a in app.accounts["dispatchers"] if a["hq"] == "chitose")


def test_failures_from_one_address_do_not_keep_the_user_out_from_another(app):
    # Someone who knows a dispatcher's login ID fails at it from their own address...
    dispatcher = dispatcher_of(app)
    for _ in range(BY_LOGIN_AT_ADDRESS.free):
        assert post_login(app.test_client(), dispatcher["login"], "wrong-password", path="/dispatch/login",
                          address="198.51.100.66").status_code == 400
    assert post_login(app.test_client(), dispatcher["login"], dispatcher["password"], path="/dispatch/login",
                      address="198.51.100.66").status_code == 429

    # ...and the dispatcher, at the console, still gets in at shift change.
    assert post_login(app.test_client(), dispatcher["login"], dispatcher["password"], path="/dispatch/login",
                      address="203.0.113.80").status_code == 303


def test_the_resident_and_staff_forms_count_an_address_apart(app, client):
    for n in range(BY_ADDRESS.free):
        post_login(client, f"guess-{n}", "wrong-password", address="192.0.2.90")
    assert post_login(client, "guess-new", "wrong-password", address="192.0.2.90").status_code == 429

    # A resident's phone and the HQ behind one carrier address are not held back by each other's typos.
    dispatcher = dispatcher_of(app)
    assert post_login(client, dispatcher["login"], dispatcher["password"], path="/dispatch/login",
                      address="192.0.2.90").status_code == 303


def test_an_ipv6_client_counts_as_its_whole_64_network(app, client):
    # One machine is given a /64 and may use any address in it.
    for n in range(BY_ADDRESS.free):
        assert post_login(client, f"guess-{n}", "wrong-password",
                          address=f"2001:db8:1:2::{n + 1:x}").status_code == 400
    assert post_login(client, "guess-new", "wrong-password", address="2001:db8:1:2:ffff::1").status_code == 429
    assert post_login(client, "guess-new", "wrong-password", address="2001:db8:1:3::1").status_code == 400

    account = resident(app)
    for n in range(BY_LOGIN_AT_ADDRESS.free):
        post_login(client, account["login"], "wrong-password", address=f"2001:db8:9:9::{n + 1}")
    assert post_login(client, account["login"], account["password"], address="2001:db8:9:9::abcd").status_code == 429


def test_guessing_from_many_addresses_meets_a_ceiling_that_a_known_device_passes(app):
    dispatcher = dispatcher_of(app)
    console = app.test_client()
    # The console PC has logged this dispatcher in before.
    assert post_login(console, dispatcher["login"], dispatcher["password"], path="/dispatch/login",
                      address="203.0.113.80").status_code == 303
    console.post("/dispatch/logout", data={"csrf_token": form_fields(console.get("/dispatch/"))["csrf_token"]})

    guesses = 0
    while True:
        address = f"198.51.{100 + guesses // 5}.{guesses % 5 + 1}"  # each within its own limits
        status = post_login(app.test_client(), dispatcher["login"], "wrong-password", path="/dispatch/login",
                            address=address).status_code
        if status == 429:
            break
        assert status == 400
        guesses += 1
        assert guesses <= BY_LOGIN.free, "no ceiling"

    # A browser that never logged in as this dispatcher waits, wherever it is, and a made-up
    # cookie earns nothing...
    assert post_login(app.test_client(), dispatcher["login"], dispatcher["password"], path="/dispatch/login",
                      address="203.0.113.81").status_code == 429
    forger = app.test_client()
    known = console.get_cookie(login_limits.KNOWN_LOGINS_COOKIE).value
    forger.set_cookie(login_limits.KNOWN_LOGINS_COOKIE, known[:-2] + ("AA" if known[-2:] != "AA" else "BB"))
    assert post_login(forger, dispatcher["login"], dispatcher["password"], path="/dispatch/login",
                      address="203.0.113.82").status_code == 429
    # ...the console that did gets in, and a wrong password from it is still refused.
    assert post_login(console, dispatcher["login"], "wrong-password", path="/dispatch/login",
                      address="203.0.113.80").status_code == 400
    assert post_login(console, dispatcher["login"], dispatcher["password"], path="/dispatch/login",
                      address="203.0.113.80").status_code == 303


@pytest.mark.parametrize("address, network", [("192.0.2.1", "192.0.2.1"), ("::ffff:192.0.2.1", "192.0.2.1"),
                                              ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
                                              ("fe80::1%eth0", "fe80::/64"), ("", "")])
def test_an_address_is_counted_as_the_client_it_stands_for(address, network):
    assert login_limits.address_network(address) == network
