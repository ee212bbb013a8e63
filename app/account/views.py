"""The resident's own account: profile, password, other devices, cancellation."""
from flask import redirect, request, url_for

from ..auth import (current_resident, end_session, end_sessions_of, hash_password, log_in,
                    resident_required, verify_password)
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
    resident.save()
    return redirect(url_for(".index", done="profile"), 303)


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
    if form.validate_on_submit():
        if verify_password(resident.password_hash, form.current.data):
            resident.password_hash = hash_password(form.password.data)
            resident.save()
            _keep_only_this_device(resident)
            return redirect(url_for(".index", done="password"), 303)
        form.form_errors.append(WRONG_PASSWORD)
    return _page(400, password=form)


@bp.post("/devices")
@resident_required
def other_devices():
    """Log out every other device (a lost or replaced phone)."""
    _keep_only_this_device(current_resident())
    return redirect(url_for(".index", done="devices"), 303)


@bp.post("/cancel")
@resident_required
def cancel():
    """Cancel the registration: no device can report any more."""
    form = CancelForm()
    if not form.validate_on_submit():
        return _page(400, cancel=form)
    resident = current_resident()
    resident.status = "cancelled"
    resident.save()
    end_sessions_of(resident)
    end_session()
    return redirect(url_for(".cancelled"), 303)


@bp.get("/cancelled")
def cancelled():
    """Confirmation after cancelling."""
    return render_page("account/cancelled.html")


def _keep_only_this_device(resident):
    end_sessions_of(resident)
    log_in(resident)
