"""The resident's own account: profile, password, other devices, cancellation."""
import math

from flask import redirect, request, url_for

from .. import login_limits
from ..auth import (current_resident, end_session, end_sessions_of, hash_password, log_in,
                    resident_required, verify_password)
from ..forms import wait_to_check_password
from ..models import Resident
from ..pages import render_page
from ..registration.applications import place_form_data, save_frequent_places
from ..registration.forms import FrequentPlacesForm
from . import bp
from .forms import WRONG_PASSWORD, CancelForm, PasswordForm, ProfileForm


def _page(status=200, **forms):
    resident = current_resident()
    forms.setdefault("profile", ProfileForm(obj=resident, formdata=None))
    forms.setdefault("password", PasswordForm(formdata=None))
    forms.setdefault("cancel", CancelForm(formdata=None))
    forms.setdefault("places", FrequentPlacesForm(formdata=None, data=place_form_data(resident)))
    return render_page("account/index.html", resident=resident, done=request.args.get("done"),
                       status=status, **forms)


@bp.get("/")
@resident_required
def index():
    """The account page: every self-service action in one place."""
    return _page()


@bp.post("/profile")
@resident_required
def profile():
    """Save the profile fields a resident may change."""
    form = ProfileForm()
    if not form.validate_on_submit():
        return _page(400, profile=form)
    resident = current_resident()
    form.populate_obj(resident)
    _save_only(resident, [name for name in form.data if name != "csrf_token"])
    return redirect(url_for(".index", done="profile", _anchor="profile"), 303)


@bp.post("/places")
@resident_required
def places():
    """Save the frequent places offered on the start page."""
    form = FrequentPlacesForm()
    if not form.validate_on_submit():
        return _page(400, places=form)
    save_frequent_places(current_resident(), form.data)
    return redirect(url_for(".index", done="places", _anchor="places"), 303)


@bp.post("/password")
@resident_required
def password():
    """Change the password; every other device is logged out, this one stays in."""
    form = PasswordForm()
    resident = current_resident()
    if not form.validate_on_submit():
        return _page(400, password=form)
    wait = _check_current_password(form, resident)
    if wait is not None:
        return _refused(wait, password=form)
    resident.password_hash = hash_password(form.password.data)
    _save_only(resident, ["password_hash"])
    _keep_only_this_device(resident)
    return redirect(url_for(".index", done="password", _anchor="password-change"), 303)


@bp.post("/devices")
@resident_required
def other_devices():
    """Log out every other device (a lost or replaced phone)."""
    _keep_only_this_device(current_resident())
    return redirect(url_for(".index", done="devices", _anchor="devices"), 303)


@bp.post("/cancel")
@resident_required
def cancel():
    """Cancel the registration: no device can report any more."""
    form = CancelForm()
    if not form.validate_on_submit():
        return _page(400, cancel=form)
    resident = current_resident()
    wait = _check_current_password(form, resident)
    if wait is not None:
        return _refused(wait, cancel=form)
    resident.status = "cancelled"
    _save_only(resident, ["status"])
    end_sessions_of(resident)
    end_session()
    return redirect(url_for(".cancelled"), 303)


@bp.get("/cancelled")
def cancelled():
    """Confirmation after cancelling."""
    return render_page("account/cancelled.html")


def _check_current_password(form, resident):
    """None when ``form.current`` is the resident's password; else the seconds to wait (0: wrong).

    The reason is put on the form. Tries count as failed logins of the account (login_limits),
    so a logged-in phone in other hands cannot guess here at leisure to take the account or
    cancel it; nor does that phone's own cookie lift the ceiling over all addresses for it.
    """
    attempt = login_limits.attempt("resident", resident.login, trust_device=False)
    wait = math.ceil(login_limits.wait_before(attempt).total_seconds())
    if wait:
        form.form_errors.append(wait_to_check_password(wait))
        return wait
    if verify_password(resident.password_hash, form.current.data):
        login_limits.forget_failures(attempt)
        return None
    login_limits.record_failure(attempt)
    form.form_errors.append(WRONG_PASSWORD)
    return 0


def _refused(wait, **forms):
    """The account page with the refused form: 400, or 429 while the back-off runs."""
    if not wait:
        return _page(400, **forms)
    response = _page(429, **forms)
    response.headers["Retry-After"] = str(wait)
    return response


def _save_only(resident, names):
    """Write only these fields of the account as read at the start of the request.

    The whole row would write back what the HQ changed meanwhile: a suspension made while
    the new password was being hashed was undone, and the suspended phone logged in again.
    """
    resident.save(only=[getattr(Resident, name) for name in names])


def _keep_only_this_device(resident):
    end_sessions_of(resident)
    log_in(resident)
