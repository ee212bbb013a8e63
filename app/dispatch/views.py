"""Console pages: login, the queue, one case."""
from datetime import date

from flask import abort, current_app, redirect, request, url_for

from ..auth import authenticate, current_staff, end_session, log_in, safe_next, staff_required
from ..forms import WRONG_LOGIN, bilingual
from ..models import Report, Staff
from ..pages import render_page
from ..reporting import InvalidInput, open_reports_of, post_message
from . import bp
from .forms import LoginForm, MessageForm


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Staff login (dispatchers and HQ administrators)."""
    form = LoginForm()
    if form.validate_on_submit():
        staff = authenticate(Staff, form.login.data.strip(), form.password.data)
        if staff is not None:
            log_in(staff)
            home = url_for(".console") if staff.role == "dispatcher" else url_for("admin.index")
            return redirect(safe_next(home), 303)
        form.form_errors.append(WRONG_LOGIN)
    status = 400 if request.method == "POST" else 200
    return render_page("dispatch/login.html", form=form, status=status)


@bp.post("/logout")
def logout():
    """End this console's session."""
    end_session()
    return redirect(url_for(".login"), 303)


@bp.get("/")
@staff_required()
def console():
    """The live queue of the HQ's open reports."""
    return render_page("dispatch/console.html", "dispatch/_queue.html",
                       reports=list(open_reports_of(current_staff().hq)))


def own_case(report_id):
    """A report received by the current staff member's HQ, or 404 (never revealing others)."""
    report = Report.get_or_none((Report.id == report_id)
                                & (Report.receiving_hq == current_staff().hq))
    if report is None:
        abort(404)
    return report


def _case_page(report, form=None, status=200):
    return render_page("dispatch/case.html", status=status, report=report,
                       events=list(report.events_after(0)), form=form or MessageForm(),
                       reports=list(open_reports_of(current_staff().hq)),
                       today=date.today(), tile_url=current_app.config["TILE_URL"],
                       tile_attribution=current_app.config["TILE_ATTRIBUTION"])


@bp.get("/cases/<int:report_id>")
@staff_required()
def case(report_id):
    """One case: place, map, profile, chat."""
    return _case_page(own_case(report_id))


@bp.post("/cases/<int:report_id>/messages")
@staff_required()
def send_message(report_id):
    """Reply without JavaScript (with it, the socket carries it)."""
    report = own_case(report_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            post_message(report, actor="staff", staff=current_staff(), body=form.body.data,
                         client_id=form.client_id.data,
                         max_chars=current_app.config["MAX_MESSAGE_CHARS"])
        except InvalidInput as error:
            form.body.errors.append(bilingual(error.ja, error.en))
        else:
            return redirect(url_for(".case", report_id=report.id, _anchor="compose"), 303)
    return _case_page(report, form=form, status=400)
