"""Console pages: login, the queue, one case."""
from datetime import date

from flask import abort, current_app, redirect, url_for

from ..auth import current_staff, end_session, login_flow, staff_required
from ..forms import bilingual
from ..models import Report, Staff
from ..pages import render_page
from ..reporting import InvalidInput, mark_displayed, open_reports_of, post_message
from . import bp
from .forms import LoginForm, MessageForm


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Staff login (dispatchers and HQ administrators)."""
    return login_flow(LoginForm(), Staff, "dispatch/login.html", home=lambda staff: url_for(
        ".console" if staff.role == "dispatcher" else "admin.index"))


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
    mark_displayed(report, "staff", report.last_seq)
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
