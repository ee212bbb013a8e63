"""Failed logins: a short back-off per login ID and per client address (SPEC §7).

A resident who cannot log in cannot report, so no account is ever locked: after a few
failures each further try waits a little longer, never more than five minutes.
"""
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request

from .models import LoginFailure, utcnow, write_transaction


@dataclass(frozen=True)
class BackOff:
    """Free tries within a window, then a wait after each failure that doubles up to a ceiling."""

    scope: str
    free: int
    window: timedelta
    first_wait: timedelta
    longest_wait: timedelta

    def wait(self, failures, now):
        """How long to wait after ``failures`` (times of failed logins in the window) before trying again."""
        if len(failures) < self.free:
            return timedelta(0)
        # Doublings are capped before multiplying, so a flood of failures cannot overflow the wait.
        doublings = min(len(failures) - self.free, 16)
        wait = min(self.first_wait * 2 ** doublings, self.longest_wait)
        return max(max(failures) + wait - now, timedelta(0))


# One person mistyping: five tries, then 30 s, 1, 2, 4, 5, 5... minutes. Guessing a password
# of eight or more characters at about twelve tries an hour is hopeless.
BY_LOGIN = BackOff("login", free=5, window=timedelta(hours=1),
                   first_wait=timedelta(seconds=30), longest_wait=timedelta(minutes=5))
# Many residents share one address behind a mobile carrier's NAT, so the address is allowed
# far more failures; it stops one machine from trying every login ID in turn.
BY_ADDRESS = BackOff("address", free=30, window=timedelta(minutes=15),
                     first_wait=timedelta(seconds=30), longest_wait=timedelta(minutes=5))


@dataclass(frozen=True)
class Attempt:
    """A login attempt: which accounts (``kind``: resident or staff), which ID, from where."""

    kind: str
    login: str
    address: str

    def keys(self):
        """The failure key of each back-off, paired with it."""
        login = self.login.strip().casefold()
        return ((BY_LOGIN, _key(f"{self.kind}:login:{login}")),
                (BY_ADDRESS, _key(f"address:{self.address}")))


def client_address():
    """The address of the client: the socket's, or the one the trusted proxies saw (TRUSTED_PROXY_HOPS)."""
    hops = current_app.config["TRUSTED_PROXY_HOPS"]
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        # Each trusted proxy appends the address it saw; anything further left the client could have typed.
        return forwarded[-hops]
    return request.remote_addr or ""


def wait_before(attempt):
    """How long ``attempt`` must wait before its password is even checked (zero when it need not)."""
    now = utcnow()
    waits = [timedelta(0)]
    for backoff, key in attempt.keys():
        failures = [row.failed_at for row in LoginFailure.select(LoginFailure.failed_at).where(
            (LoginFailure.key == key) & (LoginFailure.failed_at > now - backoff.window))]
        waits.append(backoff.wait(failures, now))
    return max(waits)


def record_failure(attempt):
    """Count a failed login against its ID and its address; forget failures too old to count."""
    now = utcnow()
    with write_transaction():
        LoginFailure.insert_many([{"key": key, "failed_at": now} for _, key in attempt.keys()]).execute()
        oldest = now - max(BY_LOGIN.window, BY_ADDRESS.window)
        LoginFailure.delete().where(LoginFailure.failed_at <= oldest).execute()


def forget_failures(attempt):
    """After a successful login, the ID starts afresh (the address does not: it may be guessing others)."""
    (_, login_key), _ = attempt.keys()
    with write_transaction():
        LoginFailure.delete().where(LoginFailure.key == login_key).execute()


def _key(text):
    # Keyed, so that the table cannot be searched for a login ID or an address.
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()
