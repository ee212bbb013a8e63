"""Server-side sessions in the database.

Flask's default session lives in a signed cookie and cannot be revoked; a
lost phone or a suspended account must be logged out at once (also on open
WebSockets), so the cookie carries only a random token and the data lives in
``WebSession``. Flask-Session would do this for SQLAlchemy or Redis, not for
peewee, hence this small interface.
"""
import hashlib
import logging
import secrets
from datetime import timedelta

from flask.sessions import SessionInterface, SessionMixin
from peewee import PeeweeException
from werkzeug.datastructures import CallbackDict

from .extensions import db
from .models import WebSession, utcnow

log = logging.getLogger(__name__)

# Extending the expiry on every request would make every page view a write: a session in
# use is extended once this much of its lifetime has passed, or a quarter of a shorter one.
RENEW_AFTER = timedelta(days=1)


def renew_after(lifetime):
    """How long after its last renewal a session in use is extended again.

    Never longer than a quarter of ``lifetime``: a console's 14 hours are
    extended every 3.5 hours of use, so a 24-hour shift stays logged in
    while an idle console still ends 10.5 to 14 hours after its last request.
    """
    return min(RENEW_AFTER, lifetime / 4)


def keep_alive_every(lifetime):
    """How often an open console page asks for its session, so that it never ends while open.

    A third of ``renew_after``: the request that renews it comes at most that late, and
    several asks can fail (the network gone for a while) before the session is near its end.
    """
    return renew_after(lifetime) / 3


def lifetime_of(config, name):
    """``config[name]`` (a session lifetime) as a timedelta; a NET119_* variable gives it in seconds."""
    value = config[name]
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def token_hash(token):
    """The database id of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    """Session data plus the token that names its row."""

    def __init__(self, initial=None, token=None, row=None):
        def on_update(self):
            self.modified = True

        super().__init__(initial, on_update)
        self.token = token
        self.row = row
        self.modified = False

    @property
    def id(self):
        """The WebSession id, or None before the session is first saved."""
        return token_hash(self.token) if self.token else None


class DatabaseSessionInterface(SessionInterface):
    """Keeps Flask's session in ``WebSession`` rows."""

    def open_session(self, app, request):
        token = request.cookies.get(self.get_cookie_name(app))
        if token and len(token) < 100:
            try:
                row = WebSession.get_or_none(
                    (WebSession.id == token_hash(token)) & (WebSession.expires_at > utcnow()))
            except PeeweeException:
                # The request goes on and meets the outage where it can be
                # answered with a page (503), not inside Flask's session setup.
                log.exception("session store unavailable")
                row = None
            if row is not None:
                return ServerSession(row.data, token=token, row=row)
        return ServerSession()

    def save_session(self, app, session, response):
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        if not session:
            if session.row is not None:
                WebSession.delete_by_id(session.row.id)
            if session.token:
                response.delete_cookie(name, domain=domain, path=path)
            return
        now = utcnow()
        lifetime = lifetime_of(app.config, "STAFF_SESSION_LIFETIME" if session.get("staff_id")
                               else "RESIDENT_SESSION_LIFETIME")
        renew = session.row is None or session.row.expires_at - now < lifetime - renew_after(lifetime)
        if not (session.modified or renew):
            return
        values = dict(data=dict(session), expires_at=now + lifetime,
                      resident=session.get("resident_id"), staff=session.get("staff_id"))
        try:
            if session.row is None:
                session.token = secrets.token_urlsafe(32)
                WebSession.insert(id=session.id, **values).execute()
            # Updated, never written anew: a session ended while this request was answered (a
            # logout elsewhere, a password change, a suspension; a socket is one long request,
            # closed by that very end) stays ended, rather than coming back when its answer is saved.
            elif not WebSession.update(**values).where(WebSession.id == session.id).execute():
                response.delete_cookie(name, domain=domain, path=path)
                return
        except PeeweeException:
            # Keep the page that explains the outage; the session is simply not kept.
            log.exception("session not saved")
            return
        response.set_cookie(
            name, session.token, expires=now + lifetime, domain=domain, path=path,
            httponly=self.get_cookie_httponly(app), secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app))


def session_is_live(session_id):
    """True while the session row exists and has not expired (checked by sockets)."""
    with db.connection_context():
        return WebSession.select().where(
            (WebSession.id == session_id) & (WebSession.expires_at > utcnow())).exists()
