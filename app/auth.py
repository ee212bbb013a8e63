"""Passwords, logging in and out, and who the current user is."""
import functools
import math
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, g, redirect, request, session, url_for

from . import login_limits
from .forms import RESIDENT_NOT_IN_USE, STAFF_NOT_IN_USE, WRONG_LOGIN, wait_to_log_in
from .models import AuditEntry, Resident, Staff, WebSession, write_transaction
from .pages import render_page

_hasher = PasswordHasher()
# Verified against when the login does not exist, so that a wrong login and a
# wrong password take the same time and cannot be told apart.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password):
    """An Argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash, password):
    """True when ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(model, login, password):
    """The account of ``model`` with these credentials, or None; whether it is active is the caller's to ask."""
    account = model.get_or_none(model.login == login)
    if not verify_password(account.password_hash if account else None, password):
        return None
    return account


def login_flow(form, model, template, home):
    """The login form shared by residents and staff: 303 to ``home(account)`` or 400 with the reason.

    After repeated failures the password is not checked until a short wait ends (429).
    """
    if form.validate_on_submit():
        login = form.login.data.strip()
        attempt = login_limits.attempt(model._meta.table_name, login)
        wait = math.ceil(login_limits.wait_before(attempt).total_seconds())
        if wait:
            form.form_errors.append(wait_to_log_in(wait))
            response = render_page(template, form=form, status=429)
            response.headers["Retry-After"] = str(wait)
            return response
        account = authenticate(model, login, form.password.data)
        if account is not None and not account.is_active:
            # The right password: who is asking owns the account, so it can be told plainly.
            form.form_errors.append(STAFF_NOT_IN_USE if isinstance(account, Staff) else RESIDENT_NOT_IN_USE)
            return render_page(template, form=form, status=403)
        if account is not None:
            login_limits.forget_failures(attempt)
            log_in(account)
            if isinstance(account, Staff):
                audit_staff_session(account, "login")
            response = redirect(safe_next(home(account)), 303)
            login_limits.remember_device(response, attempt)
            return response
        # Counted whether or not the login exists, so the limit tells nothing about who is registered.
        login_limits.record_failure(attempt)
        form.form_errors.append(WRONG_LOGIN)
    return render_page(template, form=form, status=400 if request.method == "POST" else 200)


def log_in(account):
    """Start a fresh session for a Resident or Staff (a new token: no fixation)."""
    end_session()
    session.token = None
    session.row = None
    key = "resident_id" if isinstance(account, Resident) else "staff_id"
    session[key] = account.id


def audit_staff_session(staff, action):
    """Record that ``staff`` logged in or out, and from where (SPEC §4: who did what, when)."""
    with write_transaction():
        AuditEntry.record(action, staff=staff, address=login_limits.client_address())


def end_session():
    """End the current session here and on every socket that uses it."""
    from .realtime import hub

    if session.row is not None:
        WebSession.delete_by_id(session.row.id)
        hub.publish(f"session:{session.row.id}")
    session.clear()


def end_sessions_of(account):
    """End every session of an account at once (suspension, password change)."""
    from .realtime import hub

    field = WebSession.resident if isinstance(account, Resident) else WebSession.staff
    ids = [row.id for row in WebSession.select(WebSession.id).where(field == account)]
    WebSession.delete().where(WebSession.id.in_(ids)).execute()
    for session_id in ids:
        hub.publish(f"session:{session_id}")


def _current(kind, model):
    """The logged-in, active account of ``kind`` ("resident" or "staff"), cached per request."""
    if kind not in g:
        account_id = session.get(f"{kind}_id")
        account = account_id and model.get_or_none(id=account_id)
        setattr(g, kind, account if account and account.is_active else None)
    return g.get(kind)


def current_resident():
    """The logged-in, active resident, or None."""
    return _current("resident", Resident)


def current_staff():
    """The logged-in, active staff member, or None."""
    return _current("staff", Staff)


def resident_required(view):
    """Send a visitor without a resident session to the resident login."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_resident() is None:
            return redirect(url_for("report.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped


def staff_required(*roles):
    """Require a staff session, optionally with one of ``roles``."""
    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                return redirect(url_for("dispatch.login", next=request.full_path.rstrip("?")))
            if roles and staff.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def safe_next(default):
    """The ``next`` parameter if it is a local path, else ``default`` (no open redirect)."""
    return local_path(request.values.get("next", ""), default)


def local_path(target, default):
    """``target`` if it is a path on this site, else ``default``.

    Browsers drop tabs and line breaks inside a URL and read a backslash as a slash, so
    "/<tab>/evil.example" or "/\\evil.example" would take them to another site: any control
    character, space or backslash is refused before the URL is read.
    """
    if any(c <= " " or c in "\\\x7f" for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
