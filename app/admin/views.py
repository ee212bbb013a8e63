"""The administrator's pages: overview, review of applications (SPEC §7.4), suspension (§7.6)."""
from datetime import timedelta

from flask import abort, redirect, request, url_for

from ..auth import current_staff, staff_required
from ..dispatch import phrases
from ..forms import bilingual
from ..mail.outbox import first_to
from ..models import Application, CannedPhrase, Jurisdiction, Resident, Staff, utcnow
from ..pages import render_page
from ..practice.stats import practised_counts
from ..registration import activation_mail, applications
from ..registration.forms import ApplicationForm
from ..reporting import InvalidInput
from . import bp, staffing, suspension
from .forms import DecisionForm, PhraseForm, StaffForm

# SPEC §6 / issue 7: how many residents rehearsed recently (counts only, never who).
PRACTICE_WINDOW = timedelta(days=90)


@bp.get("/")
@staff_required("admin")
def index():
    """The HQ's jurisdiction, staff, residents and pending applications."""
    hq = current_staff().hq
    return render_page("admin/index.html", hq=hq,
                       jurisdictions=list(hq.jurisdictions.order_by(Jurisdiction.municipality_code)),
                       staff=list(Staff.select().where(Staff.hq == hq).order_by(Staff.login)),
                       resident_count=Resident.select().where(Resident.hq == hq).count(),
                       pending_count=applications.pending(hq).count(),
                       practised_count=practised_counts(utcnow() - PRACTICE_WINDOW).get(hq.id, 0))


@bp.get("/applications")
@staff_required("admin")
def application_list():
    """Applications waiting for this HQ's decision, oldest first."""
    return render_page("admin/applications.html", applications=list(applications.pending(current_staff().hq)),
                       done=request.args.get("done"))


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
            resident = applications.approve(item, by=current_staff())
            decided = resident is not None
        else:
            resident, decided = None, applications.reject(item, form.reason.data.strip(), by=current_staff())
        if not decided:
            # Another administrator was a moment faster: their decision stands, and is shown.
            return redirect(url_for(".application", application_id=item.id), 303)
        # When the relay did not take the decision's mail, the list's "mailed" would not be true:
        # the resident's page (for an approval, with the resend) or the application's says so.
        if resident is not None:
            if _not_taken(activation_mail.latest_mail(resident)):
                return redirect(url_for(".resident", resident_id=resident.id, done="approved"), 303)
        elif _not_taken(first_to(item.email, item.decided_at)):
            return redirect(url_for(".application", application_id=item.id, done="rejected"), 303)
        return redirect(url_for(".application_list", done=item.status), 303)
    status = 400 if request.method == "POST" and item.status == "submitted" else 200
    return render_page("admin/application.html", item=item, form=form, done=request.args.get("done"),
                       rejection_mail=first_to(item.email, item.decided_at) if item.status == "rejected" else None,
                       labels={f.name: f.label.text for f in ApplicationForm(formdata=None, meta={"csrf": False})},
                       status=status)


def _not_taken(mail):
    """Whether the relay has been tried with ``mail`` and has not taken it (yet, or ever)."""
    return mail is not None and mail.sent_at is None and bool(mail.last_error)


def _residents_page(error=None, status=200):
    # Each resident not yet activated comes with its activation mail, all in the one query.
    residents = activation_mail.with_latest_mail(
        Resident.select().where(Resident.hq == current_staff().hq).order_by(Resident.login))
    return render_page("admin/residents.html", residents=list(residents), error=error, status=status,
                       done=request.args.get("done"))


@bp.get("/residents")
@staff_required("admin")
def resident_list():
    """The HQ's residents and their status."""
    return _residents_page()


@bp.post("/residents/<int:resident_id>/status")
@staff_required("admin")
def resident_status(resident_id):
    """Suspend a resident (every session ends at once) or lift the suspension."""
    resident = Resident.get_or_none((Resident.id == resident_id) & (Resident.hq == current_staff().hq))
    if resident is None:
        abort(404)
    wanted = request.form.get("status")
    # CSRFProtect has checked the token already. Whether a resident can report hangs on
    # this: a request that changed nothing must say so, not look like it worked.
    if wanted not in ("suspended", "active"):
        return _residents_page(error=bilingual("「停止する」か「停止を解除する」を押してください。",
                                               "Press suspend or lift the suspension."), status=400)
    suspended = wanted == "suspended"
    try:
        changed = suspension.set_suspended(current_staff(), resident, suspended)
    except suspension.ReportStillOpen:
        return _residents_page(error=bilingual(
            f"{resident.name}さんには対応中の通報があります。通報が終了してから停止してください。",
            f"{resident.name} has a report still open. Suspend the account once the report is closed."),
            status=409)
    if not changed and resident.status != wanted:
        return _residents_page(error=bilingual(
            f"{resident.name}さんは「停止」も「解除」もできない状態です（パスワード未設定か、取り消し済み）。",
            f"{resident.name}'s account is neither in use nor suspended (not activated yet, or cancelled)."),
            status=409)
    return redirect(url_for(".resident_list", done=wanted), 303)


# ---- Canned phrases (定型文) -------------------------------------------------

def _phrases_page(add_form=None, edit_form=None, edit_id=None, error=None, status=200):
    rows = []
    for number, phrase in enumerate(CannedPhrase.of(current_staff().hq), start=1):
        form = edit_form if phrase.id == edit_id else PhraseForm(
            prefix=f"phrase-{phrase.id}", formdata=None, text=phrase.text)
        form.text.label.text = f"{number}番の定型文（キー {number}）"
        rows.append((phrase, form))
    add_form = add_form or PhraseForm()
    return render_page("admin/phrases.html", status=status, rows=rows, add_form=add_form, error=error,
                       invalid=bool(error or add_form.errors or (edit_form and edit_form.errors)),
                       max_phrases=phrases.MAX_PHRASES)


@bp.get("/phrases")
@staff_required("admin")
def phrase_list():
    """The HQ's canned phrases, numbered as the console's keys."""
    return _phrases_page()


@bp.post("/phrases")
@staff_required("admin")
def phrase_add():
    """Add a canned phrase at the end of the list."""
    form = PhraseForm()
    if form.validate_on_submit():
        try:
            phrases.add(current_staff(), form.text.data)
        except InvalidInput as error:
            form.text.errors.append(bilingual(error.ja, error.en))
        else:
            return redirect(url_for(".phrase_list"), 303)
    return _phrases_page(add_form=form, status=400)


def _own_phrase(phrase_id):
    phrase = phrases.phrase_of(current_staff().hq, phrase_id)
    if phrase is None:
        abort(404)
    return phrase


@bp.post("/phrases/<int:phrase_id>")
@staff_required("admin")
def phrase_change(phrase_id):
    """Edit, move (which changes its key) or delete one phrase."""
    phrase = _own_phrase(phrase_id)
    action = request.form.get("action")
    form = PhraseForm(prefix=f"phrase-{phrase.id}")
    try:
        if action == "save":
            if not form.validate_on_submit():
                return _phrases_page(edit_form=form, edit_id=phrase.id, status=400)
            phrases.edit(current_staff(), phrase, form.text.data)
        # CSRFProtect has checked the (prefixed) token of every post already.
        elif action in ("up", "down"):
            phrases.move(current_staff(), phrase, -1 if action == "up" else 1)
        elif action == "delete":
            phrases.delete(current_staff(), phrase)
        else:
            raise InvalidInput("action", "操作を選んでください。", "Choose what to do.")
    except InvalidInput as error:
        return _phrases_page(error=bilingual(error.ja, error.en), status=400)
    return redirect(url_for(".phrase_list"), 303)


# ---- Staff accounts ----------------------------------------------------------

def _staff_page(form=None, error=None, status=200):
    hq = current_staff().hq
    return render_page("admin/staff.html", status=status, form=form or StaffForm(), error=error,
                       staff=list(Staff.select().where(Staff.hq == hq).order_by(Staff.login)),
                       role_labels=staffing.ROLE_LABELS)


@bp.get("/staff")
@staff_required("admin")
def staff_list():
    """The HQ's dispatchers and administrators."""
    return _staff_page()


@bp.post("/staff")
@staff_required("admin")
def staff_add():
    """Create a dispatcher or administrator account of this HQ."""
    form = StaffForm()
    if form.validate_on_submit():
        try:
            staffing.create(current_staff(), login=form.login.data, name=form.name.data,
                            role=form.role.data, password=form.password.data)
        except InvalidInput as error:
            getattr(form, error.field).errors.append(bilingual(error.ja, error.en))
        else:
            return redirect(url_for(".staff_list"), 303)
    return _staff_page(form=form, status=400)


@bp.post("/staff/<int:staff_id>/active")
@staff_required("admin")
def staff_active(staff_id):
    """Deactivate a colleague (every session ends at once) or reactivate them."""
    member = staffing.staff_of(current_staff().hq, staff_id)
    if member is None:
        abort(404)
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        return _staff_page(error=bilingual("操作を選んでください。", "Choose what to do."), status=400)
    try:
        staffing.set_active(current_staff(), member, wanted == "1")
    except InvalidInput as error:
        return _staff_page(error=bilingual(error.ja, error.en), status=400)
    return redirect(url_for(".staff_list"), 303)
