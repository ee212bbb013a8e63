"""Resident pages: login, start (two taps), chat, and the no-JavaScript chat log."""
import time

from flask import abort, current_app, redirect, request, url_for

from ..auth import current_resident, end_session, login_flow, resident_required
from ..caching import kept_on_the_phone
from ..forms import MessageForm, ReportForm, bilingual
from ..i18n import current_language
from ..models import REPORT_KINDS, FrequentPlace, ReportEvent, Resident
from ..pages import render_page
from ..practice.stats import last_practised
from ..reporting import (PLACE_LABELS, InvalidInput, answer_question as record_answer, latest_open_report,
                         mark_displayed, open_questions, open_report, own_report, parse_fix, post_message,
                         routing_notice)
from . import bp
from .forms import AnswerForm, LoginForm
from .language import follow_language
from .phrases import QUICK_PHRASES


@bp.app_template_global()
def answer_words(report, answer):
    """A tapped answer as ``(ja, en)`` where its question offered the choice in English, else None.

    The answer is stored as its Japanese words (the dispatcher reads them); a resident who
    chose English tapped, and is shown, the English.
    """
    if getattr(report, "is_practice", False):
        return None
    question = ReportEvent.get_or_none(report=report.id, seq=answer.data.get("question_seq"), kind="question")
    choices = question.data.get("choices", []) if question else []
    if answer.body not in choices:
        return None
    english = (question.data.get("choices_en") or [])[choices.index(answer.body):][:1]
    return (answer.body, english[0]) if english and english[0] else None


@bp.app_context_processor
def quick_phrases():
    """The quick phrases, for real and practice chats alike."""
    return {"QUICK_PHRASES": QUICK_PHRASES}


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Resident login; the device then stays logged in (SPEC §7.5)."""
    return login_flow(LoginForm(), Resident, "report/login.html", home=lambda _: url_for(".start"))


@bp.post("/logout")
def logout():
    """End this device's session."""
    end_session()
    return redirect(url_for(".login"), 303)


def _place_name(value, places):
    """The (ja, en) name of a place button's value, or None if it names no place of the resident's."""
    if value in ("home", "current"):
        return PLACE_LABELS[value]
    spot = next((p for p in places if value == f"frequent-{p.id}"), None)
    return (spot.label, spot.label) if spot else None


def _start_page(form=None, kind=None, place=None, status=200):
    resident = current_resident()
    ongoing = latest_open_report(resident)
    places = list(resident.places.order_by(FrequentPlace.position))
    return render_page("report/start.html", "report/_start.html", status=status,
                       form=form or ReportForm(), kind=kind, ongoing=ongoing,
                       last_practised=last_practised(resident.id), places=places,
                       tap_order=resident.hq.tap_order, place=place,
                       place_name=_place_name(place, places) if place else None)


@bp.get("/")
@resident_required
@kept_on_the_phone
def start():
    """First tap: the kind of emergency (or, where the HQ asks place first, the place); then the other."""
    kind, place = request.args.get("kind"), request.args.get("place")
    if kind is not None and kind not in REPORT_KINDS:
        abort(400)
    if place is not None and _place_name(place, current_resident().places) is None:
        abort(400)
    return _start_page(kind=kind, place=place)


def _place_choice(value):
    """Split the tapped place button into (place_kind, frequent place id)."""
    if value.startswith("frequent-"):
        return "frequent", value.removeprefix("frequent-")
    return value, None


@bp.post("/reports")
@resident_required
def create_report():
    """The second tap: create the report at once and go to the chat."""
    form = ReportForm()
    if form.validate_on_submit():
        place_kind, place_id = _place_choice(form.place.data)
        try:
            report, _ = open_report(
                current_resident(), kind=form.kind.data, place_kind=place_kind,
                place_id=place_id, place_text=form.place_text.data or "",
                client_id=form.client_id.data, language=current_language(),
                fix=parse_fix(form.lat.data, form.lon.data, form.accuracy.data))
        except InvalidInput as error:
            form.form_errors.append(bilingual(error.ja, error.en))
        else:
            return redirect(url_for(".chat", case_number=report.case_number), 303)
    resident = current_resident()
    if resident.hq.tap_order == "place-first" and _place_name(form.place.data or "", resident.places):
        return _start_page(form=form, place=form.place.data, status=400)
    kind = form.kind.data if form.kind.data in REPORT_KINDS else None
    return _start_page(form=form, kind=kind, status=400)


def _own_report(case_number):
    """The current resident's report, or 404 (never revealing another's)."""
    report = own_report(current_resident(), case_number)
    if report is None:
        abort(404)
    return report


def _chat_page(report, form=None, status=200, error=None):
    # Served in the language the resident reads now: the console follows a switch (report/language.py).
    follow_language(report, current_language())
    mark_displayed(report, "resident", report.last_seq)
    events = list(report.events_after(0))
    return render_page("report/chat.html", status=status, report=report,
                       events=events, case_note=routing_notice(report, events), form=form or MessageForm(),
                       questions=open_questions(report), notice_kind="error" if error else None,
                       notice_ja=error.ja if error else None, notice_en=error.en if error else None)


@bp.get("/reports/<case_number>")
@resident_required
@kept_on_the_phone
def chat(case_number):
    """The chat of an open report: case number, receiving HQ, messages, status."""
    return _chat_page(_own_report(case_number))


@bp.post("/reports/<case_number>/messages")
@resident_required
def send_message(case_number):
    """Send a message without JavaScript (with it, the socket carries it)."""
    report = _own_report(case_number)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            post_message(report, actor="resident", body=form.body.data, client_id=form.client_id.data,
                         max_chars=current_app.config["MAX_MESSAGE_CHARS"])
        except InvalidInput as error:
            form.body.errors.append(bilingual(error.ja, error.en))
        else:
            return redirect(url_for(".chat", case_number=case_number, _anchor="compose"), 303)
    return _chat_page(report, form=form, status=400)


@bp.post("/reports/<case_number>/answers")
@resident_required
def answer_question(case_number):
    """Tap an answer chip without JavaScript (with it, the socket carries it)."""
    report = _own_report(case_number)
    form = AnswerForm()  # the CSRF token is checked for every post, before any view
    try:
        record_answer(report, form.question_seq.data, form.choice.data, form.client_id.data)
    except InvalidInput as error:
        return _chat_page(report, status=400, error=error)
    return redirect(url_for(".chat", case_number=case_number, _anchor="choices"), 303)


@bp.get("/reports/<case_number>/log")
@resident_required
def chat_log(case_number):
    """The message list for the no-JavaScript page: an iframe that reloads itself (SPEC §3.6)."""
    report = _own_report(case_number)
    follow_language(report, current_language())
    mark_displayed(report, "resident", report.last_seq)
    return render_page("report/chat_log.html", report=report, events=list(report.events_after(0)),
                       questions=open_questions(report),
                       refresh=current_app.config["NOSCRIPT_REFRESH_SECONDS"],
                       refreshed_at=time.time_ns() // 1_000_000)
