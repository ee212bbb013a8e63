"""Console pages: login, the queue, one case."""
import time
from datetime import date

from flask import abort, current_app, jsonify, redirect, request, url_for

from ..auth import audit_staff_session, current_staff, end_session, login_flow, staff_required
from ..forms import bilingual
from ..models import LARGEST_ID, CannedPhrase, Headquarters, ReportEvent, Staff
from ..pages import render_page
from ..report.language import language_in
from ..reporting import (CaseChanged, InvalidInput, ask_question, handed_away_refusal, keep_unsent, post_message,
                         set_status, transfer_report)
from ..sessions import keep_alive_every, lifetime_of
from . import bp, claims, phrases, records
from .access import case_for, handed_away_by, handed_to, unsent_messages, unsent_to_read
from .forms import ClaimForm, LoginForm, MessageForm, QuestionForm, StatusForm, TransferForm
from .locating import request_location
from .phoning import hqs_to_phone
from .queue import queue_of, seen_by_staff
from .summary import answers_of, latest_fix


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Staff login (dispatchers and HQ administrators)."""
    return login_flow(LoginForm(), Staff, "dispatch/login.html", home=lambda staff: url_for(
        ".console" if staff.role == "dispatcher" else "admin.index"))


@bp.post("/logout")
def logout():
    """End this console's session."""
    staff = current_staff()
    if staff is not None:
        audit_staff_session(staff, "logout")
    end_session()
    return redirect(url_for(".login"), 303)


@bp.get("/session")
@staff_required()
def keep_session():
    """Nothing but a request: it renews the session (app/sessions.py) of a console page left open.

    The console lives on sockets, which renew nothing; a console open all night with no report
    would otherwise end its session and show the login where the next alarm should be.
    """
    return "", 204


@bp.context_processor
def session_keeping():
    """How often a console page asks for ``keep_session`` (dispatch/_queue_socket.html)."""
    every = keep_alive_every(lifetime_of(current_app.config, "STAFF_SESSION_LIFETIME"))
    return {"keep_session_every_ms": int(every.total_seconds() * 1000)}


@bp.get("/")
@staff_required()
def console():
    """The live queue of the HQ's open reports.

    ``?gone=<id>``: where a case view goes when its case is handed away under it
    (its socket closed, case.html's data-gone-url): the queue says where the case
    went, with any message its dispatchers typed that could no longer be sent.
    """
    hq = current_staff().hq
    return render_page("dispatch/console.html", "dispatch/_queue.html", **queue_of(hq),
                       handed_away=handed_away_by(hq, limit=20), gone=_gone_case(hq))


def _gone_case(hq):
    """``(report, the HQ it was handed to, unsent messages)`` for ``?gone=``, or None."""
    report_id = request.args.get("gone", type=int)
    if report_id is None or not 0 < report_id <= LARGEST_ID:
        return None
    report, upto = case_for(report_id, hq)
    if report is None or upto is None:
        return None
    return report, handed_to(report, upto), unsent_messages(report, hq)


def own_case(report_id, write=True, unsent=None, client_id=None):
    """access.case_for for the current HQ: 404 for others' cases, exist or not.

    A write to a case this HQ handed away (from a page read before the transfer)
    is refused with its read-only record, saying where the case went (409); the
    words of a message (``unsent``) are kept there, not lost.
    """
    report, upto = case_for(report_id, current_staff().hq)
    if report is None:
        abort(404)
    if write and upto is not None:
        to_hq = handed_to(report, upto)
        if unsent is not None:
            error = keep_unsent(report, current_staff(), unsent, client_id, to_hq,
                                max_chars=current_app.config["MAX_MESSAGE_CHARS"])
        else:
            error = handed_away_refusal(to_hq, message=False)
        form = MessageForm(formdata=None)
        form.form_errors.append(bilingual(error.ja, error.en))
        abort(_handed_away_page(report, upto, refused_form=form, status=409))
    return report, upto


def _transfer_form(report, form=None):
    """The transfer form, offering every other HQ that uses the service."""
    form = form or TransferForm()
    form.hq.choices = [("", "選んでください")] + [
        (hq.code, hq.name) for hq in Headquarters.select()
        .where(Headquarters.uses_service & (Headquarters.id != report.receiving_hq_id))
        .order_by(Headquarters.code)]
    return form


def asked_on_this_site():
    """False when the browser says a page on another site made this request (Sec-Fetch-Site).

    The session cookie goes along with a link followed from anywhere, so a GET that does
    something only a person at the console should (mark a case 既読, export a record)
    does it only for the console's own requests, or an address typed or bookmarked.
    Browsers too old to send the header are taken at their word.
    """
    return request.headers.get("Sec-Fetch-Site", "none") in ("same-origin", "none")


def _outbox_key(report, events):
    """The key under which the case's chat keeps unsent messages in the browser (app.js).

    A new one after each transfer: what waited unsent when the case left this HQ (its
    words kept as unsent, access.unsent_messages) must not go to the resident when
    the case comes back.
    """
    transfers = [event.seq for event in events if event.kind == "transfer"]
    return f"case-{report.id}" + (f"-{transfers[-1]}" if transfers else "")


def _case_page(report, form=None, transfer_form=None, status_form=None, claim_form=None,
               question_form=None, status=200, seen=True):
    if seen:
        seen_by_staff(report)
    events = list(report.events_after(0))
    return render_page("dispatch/case.html", status=status, report=report, writable=True,
                       question_form=question_form or QuestionForm(prefix="ask"), answers=answers_of(report),
                       unsent=unsent_to_read(report, current_staff().hq),
                       latest_fix=latest_fix(report),
                       claim_form=claim_form, phrases=list(CannedPhrase.of(current_staff().hq)),
                       events=events, outbox_key=_outbox_key(report, events), form=form or MessageForm(),
                       resident_language=language_in(events),
                       transfer_form=_transfer_form(report, transfer_form),
                       phone_hqs=hqs_to_phone(report) if report.is_open else ([], []),
                       status_form=status_form or StatusForm(),
                       **queue_of(current_staff().hq),
                       today=date.today(), tile_url=current_app.config["TILE_URL"],
                       tile_attribution=current_app.config["TILE_ATTRIBUTION"])


def _handed_away_page(report, upto, refused_form=None, status=200):
    """The read-only record of a case this HQ handed away, up to the transfer, and what it could not send after."""
    return render_page("dispatch/record.html", status=status, report=report, refused_form=refused_form,
                       handed_to=handed_to(report, upto),
                       unsent=unsent_messages(report, current_staff().hq),
                       events=list(report.events_after(0).where(ReportEvent.seq <= upto)))


def _changed_case_page(report_id, error, form, **forms):
    """A write refused because the case closed or left this HQ meanwhile (CaseChanged): the case as it is now."""
    form.form_errors.append(bilingual(error.ja, error.en))
    report, upto = own_case(report_id, write=False)
    if upto is not None:
        return _handed_away_page(report, upto, refused_form=form, status=409)
    return _case_page(report, status=409, **forms)


@bp.get("/cases/<int:report_id>")
@staff_required()
def case(report_id):
    """One case: place, map, profile, chat; read-only up to the transfer for the HQ that handed it away."""
    report, upto = own_case(report_id, write=False)
    if upto is not None:
        return _handed_away_page(report, upto)
    # Opened from a link elsewhere, nobody may be looking: the resident is not told 既読 (nor
    # the notice that no one has opened the report withdrawn) until the page, shown to a
    # person, says so over its socket.
    return _case_page(report, seen=asked_on_this_site())


@bp.get("/queue")
@staff_required()
def queue_frame():
    """The queue for a console without JavaScript: a frame that reloads itself (SPEC §3.6)."""
    return render_page("dispatch/queue_frame.html", **queue_of(current_staff().hq),
                       refresh=current_app.config["NOSCRIPT_REFRESH_SECONDS"])


@bp.get("/cases/<int:report_id>/log")
@staff_required()
def case_log(report_id):
    """A case's chat for a console without JavaScript: a frame that reloads itself, the reply box staying put."""
    report, upto = own_case(report_id, write=False)
    events = report.events_after(0)
    if upto is not None:
        events = events.where(ReportEvent.seq <= upto)
    elif asked_on_this_site():
        seen_by_staff(report)  # shown to the dispatcher, as the live chat marks what it shows
    # The old HQ's words kept unsent come in here too, as they are kept: without JavaScript
    # this frame is the only part of the case page that reloads.
    return render_page("dispatch/case_log.html", report=report, events=list(events),
                       handed_away=upto is not None,
                       unsent=unsent_to_read(report, current_staff().hq) if upto is None else [],
                       refresh=current_app.config["NOSCRIPT_REFRESH_SECONDS"],
                       refreshed_at=time.time_ns() // 1_000_000)


@bp.post("/cases/<int:report_id>/claim")
@staff_required()
def claim(report_id):
    """Claim the case, take it over from the colleague shown, or release it."""
    report, _ = own_case(report_id)
    form = ClaimForm()
    if form.validate_on_submit():
        try:
            if form.action.data == "release":
                claims.release(report, current_staff())
            else:
                holder = form.holder.data if form.action.data == "take_over" else ""
                claims.claim(report, current_staff(), take_over_from=int(holder) if holder else None)
        except CaseChanged as error:
            return _changed_case_page(report_id, error, form, claim_form=form)
        except InvalidInput as error:
            form.form_errors.append(bilingual(error.ja, error.en))
        else:
            return redirect(url_for(".case", report_id=report.id), 303)
    return _case_page(report, claim_form=form, status=400)


@bp.post("/cases/<int:report_id>/messages")
@staff_required()
def send_message(report_id):
    """Reply without JavaScript (with it, the socket carries it)."""
    report, _ = own_case(report_id, unsent=request.form.get("body"), client_id=request.form.get("client_id"))
    form = MessageForm()
    if form.validate_on_submit():
        try:
            post_message(report, actor="staff", staff=current_staff(), body=form.body.data,
                         client_id=form.client_id.data,
                         max_chars=current_app.config["MAX_MESSAGE_CHARS"])
        except CaseChanged as error:
            return _changed_case_page(report_id, error, form, form=form)
        except InvalidInput as error:
            form.body.errors.append(bilingual(error.ja, error.en))
        else:
            return redirect(url_for(".case", report_id=report.id, _anchor="compose"), 303)
    return _case_page(report, form=form, status=400)


@bp.post("/cases/<int:report_id>/phrases")
@staff_required()
def send_phrase(report_id):
    """Send one of the HQ's canned phrases (the button's own form, without JavaScript)."""
    phrase = phrases.phrase_of(current_staff().hq, request.form.get("phrase", ""))
    report, _ = own_case(report_id, unsent=phrase.text if phrase else "", client_id=request.form.get("client_id"))
    form = MessageForm(formdata=None)
    try:
        if phrase is None:
            raise InvalidInput("phrase", "定型文が見つかりません。画面を読み込み直してください。",
                               "The canned phrase was not found. Please reload the page.")
        post_message(report, actor="staff", staff=current_staff(), body=phrase.text,
                     client_id=request.form.get("client_id"),
                     max_chars=current_app.config["MAX_MESSAGE_CHARS"])
    except CaseChanged as error:
        return _changed_case_page(report_id, error, form, form=form)
    except InvalidInput as error:
        form.form_errors.append(bilingual(error.ja, error.en))
        return _case_page(report, form=form, status=400)
    return redirect(url_for(".case", report_id=report.id, _anchor="compose"), 303)


@bp.post("/cases/<int:report_id>/questions")
@staff_required()
def ask(report_id):
    """Send a choice question; the resident answers with a tap."""
    report, _ = own_case(report_id, unsent=request.form.get("ask-body"), client_id=request.form.get("ask-client_id"))
    form = QuestionForm(prefix="ask")
    if form.validate_on_submit():
        try:
            ask_question(report, staff=current_staff(), body=form.body.data, choices=form.choice_list(),
                         client_id=form.client_id.data)
        except CaseChanged as error:
            return _changed_case_page(report_id, error, form, question_form=form)
        except InvalidInput as error:
            (form.choices if error.field == "choices" else form.body).errors.append(bilingual(error.ja, error.en))
        else:
            return redirect(url_for(".case", report_id=report.id, _anchor="ask"), 303)
    return _case_page(report, question_form=form, status=400)


@bp.post("/cases/<int:report_id>/location-request")
@staff_required()
def locate(report_id):
    """Ask the resident's device for a fresh location."""
    report, _ = own_case(report_id)
    try:
        request_location(report, current_staff(), request.form.get("client_id"))
    except CaseChanged as error:
        form = MessageForm(formdata=None)
        return _changed_case_page(report_id, error, form, form=form)
    except InvalidInput as error:
        form = MessageForm(formdata=None)
        form.form_errors.append(bilingual(error.ja, error.en))
        return _case_page(report, form=form, status=400)
    return redirect(url_for(".case", report_id=report.id, _anchor="place"), 303)


@bp.post("/cases/<int:report_id>/transfer")
@staff_required()
def transfer(report_id):
    """Hand the case to another HQ; this console then goes back to its queue."""
    report, _ = own_case(report_id)
    form = _transfer_form(report, TransferForm())
    if form.validate_on_submit():
        try:
            transfer_report(report, Headquarters.get_or_none(Headquarters.code == form.hq.data),
                            current_staff(), form.reason.data)
        except CaseChanged as error:
            return _changed_case_page(report_id, error, form, transfer_form=form)
        except InvalidInput as error:
            form.hq.errors.append(bilingual(error.ja, error.en))
        else:
            return redirect(url_for(".console"), 303)
    return _case_page(report, transfer_form=form, status=400)


@bp.post("/cases/<int:report_id>/status")
@staff_required()
def push_status(report_id):
    """Push a status stage to the resident's banner; closing returns to the queue."""
    report, _ = own_case(report_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            set_status(report, form.status.data, current_staff(), form.reason.data)
        except CaseChanged as error:
            return _changed_case_page(report_id, error, form, status_form=form)
        except InvalidInput as error:
            form.status.errors.append(bilingual(error.ja, error.en))
        else:
            if report.status == "closed":
                return redirect(url_for(".console"), 303)
            return redirect(url_for(".case", report_id=report.id), 303)
    return _case_page(report, status_form=form, status=400)


@bp.get("/cases/<int:report_id>/record")
@staff_required()
def record(report_id):
    """The case's full timeline as a printable page (up to the transfer for the HQ that handed it away)."""
    report, upto = own_case(report_id, write=False)
    if not asked_on_this_site():
        return _confirm_export(report, download=False)
    records.note_export(report, current_staff(), "html")
    return render_page("dispatch/export.html", report=report, handed_away=upto is not None,
                       handed_to=handed_to(report, upto) if upto is not None else None,
                       lines=records.timeline(report, upto, current_staff().hq))


@bp.get("/cases/<int:report_id>/record.json")
@staff_required()
def record_json(report_id):
    """The case's full timeline as JSON, for the HQ's own records."""
    report, upto = own_case(report_id, write=False)
    if not asked_on_this_site():
        return _confirm_export(report, download=True)
    records.note_export(report, current_staff(), "json")
    response = jsonify(records.as_json(report, records.timeline(report, upto, current_staff().hq),
                                               handed_away=upto is not None))
    response.headers["Content-Disposition"] = f'attachment; filename="net119-{report.case_number}.json"'
    return response


def _confirm_export(report, download):
    """Asked for by a link on another site: the record (personal data, an audited export) waits for a click here."""
    return render_page("dispatch/export_confirm.html", report=report, download=download,
                       export_url=url_for(request.endpoint, report_id=report.id))
