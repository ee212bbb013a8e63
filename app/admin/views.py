"""The administrator's pages: overview, review of applications (SPEC §7.4), suspension (§7.6)."""
from datetime import timedelta

from flask import abort, redirect, request, url_for
from flask_wtf import FlaskForm

from ..auth import current_staff, end_sessions_of, staff_required
from ..models import Application, Resident, Staff, utcnow
from ..pages import render_page
from ..practice.stats import practised_counts
from ..registration import applications
from ..registration.forms import ApplicationForm
from . import bp
from .forms import DecisionForm

# SPEC §6 / issue 7: how many residents rehearsed recently (counts only, never who).
PRACTICE_WINDOW = timedelta(days=90)


@bp.get("/")
@staff_required("admin")
def index():
    """The HQ's jurisdiction, staff, residents and pending applications."""
    hq = current_staff().hq
    return render_page("admin/index.html", hq=hq,
                       jurisdictions=list(hq.jurisdictions.order_by("municipality_code")),
                       staff=list(Staff.select().where(Staff.hq == hq).order_by(Staff.login)),
                       resident_count=Resident.select().where(Resident.hq == hq).count(),
                       pending_count=applications.pending(hq).count(),
                       practised_count=practised_counts(utcnow() - PRACTICE_WINDOW).get(hq.id, 0))


@bp.get("/applications")
@staff_required("admin")
def application_list():
    """Applications waiting for this HQ's decision, oldest first."""
    return render_page("admin/applications.html", applications=list(applications.pending(current_staff().hq)))


@bp.route("/applications/<int:application_id>", methods=["GET", "POST"])
@staff_required("admin")
def application(application_id):
    """One application in full, with approve and reject."""
    item = Application.get_or_none((Application.id == application_id)
                                   & (Application.hq == current_staff().hq))
    if item is None or item.status == "draft":
        abort(404)
    form = DecisionForm()
    if item.status == "submitted" and form.validate_on_submit():
        if request.form.get("action") == "approve":
            applications.approve(item)
        else:
            applications.reject(item, form.reason.data.strip())
        return redirect(url_for(".application_list"), 303)
    status = 400 if request.method == "POST" and item.status == "submitted" else 200
    return render_page("admin/application.html", item=item, form=form,
                       labels={f.name: f.label.text for f in ApplicationForm(formdata=None, meta={"csrf": False})},
                       status=status)


@bp.get("/residents")
@staff_required("admin")
def resident_list():
    """The HQ's residents and their status."""
    residents = Resident.select().where(Resident.hq == current_staff().hq).order_by(Resident.login)
    return render_page("admin/residents.html", residents=list(residents))


@bp.post("/residents/<int:resident_id>/status")
@staff_required("admin")
def resident_status(resident_id):
    """Suspend a resident (every session ends at once) or lift the suspension."""
    resident = Resident.get_or_none((Resident.id == resident_id) & (Resident.hq == current_staff().hq))
    if resident is None:
        abort(404)
    form = FlaskForm()
    if form.validate_on_submit():
        wanted = request.form.get("status")
        if wanted == "suspended" and resident.status == "active":
            resident.status = "suspended"
            resident.save()
            end_sessions_of(resident)
        elif wanted == "active" and resident.status == "suspended":
            resident.status = "active"
            resident.save()
    return redirect(url_for(".resident_list"), 303)
