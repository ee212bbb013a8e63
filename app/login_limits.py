"""Failed logins: a short back-off per login ID and per client address (SPEC §7).

A resident who cannot log in cannot report, and a dispatcher who cannot log in cannot
answer, so no account is ever locked: after a few failures each further try waits a
little longer, never more than five minutes. Nor can someone elsewhere make the real
user wait: the close count of a login ID is kept per address, and the ceiling over all
addresses does not hold back a browser that has logged in to that account before.
"""
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from itsdangerous import BadData, URLSafeSerializer

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
# of eight or more characters at about twelve tries an hour is hopeless. Counted per login ID
# *and address*: per login ID alone, anyone who knows a dispatcher's ID could keep them out
# at shift change with a dozen failures an hour from anywhere.
BY_LOGIN_AT_ADDRESS = BackOff("login-address", free=5, window=timedelta(hours=1),
                              first_wait=timedelta(seconds=30), longest_wait=timedelta(minutes=5))
# Guessing one password from many addresses at once meets this ceiling: far above what people
# mistype, it holds guessing to about seventy tries an hour. It is the one count that someone
# elsewhere could drive for everyone, so a browser that has logged in to the account before
# (KNOWN_LOGINS_COOKIE) is not held by it; only its own address's count applies there.
BY_LOGIN = BackOff("login", free=60, window=timedelta(hours=1),
                   first_wait=timedelta(seconds=30), longest_wait=timedelta(minutes=5))
# Many residents share one address behind a mobile carrier's NAT, so the address is allowed
# far more failures; it stops one machine from trying every login ID in turn. The resident
# and the staff forms count apart: a busy carrier address never holds back a console.
BY_ADDRESS = BackOff("address", free=30, window=timedelta(minutes=15),
                     first_wait=timedelta(seconds=30), longest_wait=timedelta(minutes=5))
BACK_OFFS = (BY_LOGIN_AT_ADDRESS, BY_LOGIN, BY_ADDRESS)

# Keyed digests of the accounts a browser has logged in to (no login ID in clear), newest first.
KNOWN_LOGINS_COOKIE = "net119_known_logins"
KNOWN_LOGINS_KEPT = 20  # a console PC is shared by a whole watch of dispatchers
KNOWN_FOR = timedelta(days=400)  # the longest browsers keep a cookie


@dataclass(frozen=True)
class Attempt:
    """A login attempt: which accounts (``kind``: resident or staff), which ID, from where.

    ``known_device``: the browser has logged in to that account before (see ``attempt``).
    """

    kind: str
    login: str
    address: str
    known_device: bool = False

    def keys(self):
        """Each back-off that holds this attempt, paired with its failure key."""
        login = f"{self.kind}:login:{self.login.strip().casefold()}"
        network = f"{self.kind}:address:{address_network(self.address)}"
        keys = [(BY_LOGIN_AT_ADDRESS, _key(f"{login}@{network}")), (BY_LOGIN, _key(login)),
                (BY_ADDRESS, _key(network))]
        return [(backoff, key) for backoff, key in keys if not (self.known_device and backoff is BY_LOGIN)]

    def failure_keys(self):
        """Every key a failure counts against: a known browser's failures count everywhere too."""
        return [key for _, key in Attempt(self.kind, self.login, self.address).keys()]


def attempt(kind, login, *, trust_device=True):
    """The Attempt of the current request.

    ``trust_device=False`` where the browser itself may be in the wrong hands (a logged-in
    phone asked for its password again): its cookie then earns nothing.
    """
    known = trust_device and _login_digest(kind, login) in _known_logins()
    return Attempt(kind, login, client_address(), known_device=known)


def client_address():
    """The address of the client: the socket's, or the one the trusted proxies saw (TRUSTED_PROXY_HOPS)."""
    hops = current_app.config["TRUSTED_PROXY_HOPS"]
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        # Each trusted proxy appends the address it saw; anything further left the client could have typed.
        return forwarded[-hops]
    return request.remote_addr or ""


def address_network(address):
    """What counts as one client: an IPv4 address, or the /64 network of an IPv6 address.

    An IPv6 subscriber is given at least a whole /64 and may use any address in it.
    """
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:  # an IPv4 client seen through a dual-stack socket
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


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
        LoginFailure.insert_many([{"key": key, "failed_at": now} for key in attempt.failure_keys()]).execute()
        oldest = now - max(backoff.window for backoff in BACK_OFFS)
        LoginFailure.delete().where(LoginFailure.failed_at <= oldest).execute()


def forget_failures(attempt):
    """After a successful login the ID starts afresh from this address.

    Its count over all addresses stays (someone elsewhere may be guessing), and so does
    the address's (it may be guessing others).
    """
    here = next(key for backoff, key in attempt.keys() if backoff is BY_LOGIN_AT_ADDRESS)
    with write_transaction():
        LoginFailure.delete().where(LoginFailure.key == here).execute()


def remember_device(response, attempt):
    """Mark the browser as one that has logged in to ``attempt``'s account (a signed cookie)."""
    digest = _login_digest(attempt.kind, attempt.login)
    known = [digest, *(d for d in _known_logins() if d != digest)][:KNOWN_LOGINS_KEPT]
    response.set_cookie(KNOWN_LOGINS_COOKIE, _signer().dumps(known), max_age=int(KNOWN_FOR.total_seconds()),
                        httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax")


def _known_logins():
    try:
        known = _signer().loads(request.cookies.get(KNOWN_LOGINS_COOKIE, ""))
    except BadData:
        return []
    return known if isinstance(known, list) else []


def _signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="known-logins")


def _login_digest(kind, login):
    return _key(f"{kind}:known:{login.strip().casefold()}")[:24]


def _key(text):
    # Keyed, so that the table cannot be searched for a login ID or an address.
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()
