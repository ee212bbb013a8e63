"""Practice pages: the same two taps and chat as a real report, answered by the practice dispatcher."""
import time

from flask import abort, current_app, redirect, request, url_for

from ..auth import current_resident, resident_required
from ..caching import kept_on_the_phone
from ..forms import MessageForm, ReportForm, bilingual
from ..models import FrequentPlace
from ..pages import render_page
from . import bp, coach, store
from .stats import last_practised


@bp.context_processor
def practice_context():
    """Every practice template shows the 練習中 banner and links within practice."""
    return {"practice": True, "flow": "practice"}


def _frequent_name(value, places):
    """The (ja, en) name of a registered place's button value, or None (home and current are named by the page)."""
    spot = next((p for p in places if value == f"frequent-{p.id}"), None)
    return (spot.label, spot.label) if spot else None


def _is_place(value, places):
    return value in ("home", "current") or _frequent_name(value, places) is not None


def _start_page(form=None, kind=None, place=None, status=200):
    resident = current_resident()
    places = list(resident.places.order_by(FrequentPlace.position))
    # The same order of taps as the resident's real reports: practice rehearses what they will do.
    return render_page("report/start.html", "report/_start.html", status=status,
                       form=form or ReportForm(), kind=kind,
                       ongoing=store.latest_open_session(resident.id),
                       last_practised=last_practised(resident.id), places=places,
                       tap_order=resident.hq.tap_order, place=place,
                       place_name=_frequent_name(place, places) if place else None)


@bp.get("/practice")
@resident_required
@kept_on_the_phone
def start():
    """First tap of a practice report (kind, or place where the HQ asks place first); then the other."""
    kind, place = request.args.get("kind"), request.args.get("place")
    if kind is not None and kind not in coach.KINDS:
        abort(400)
    if place is not None and not _is_place(place, current_resident().places):
        abort(400)
    return _start_page(kind=kind, place=place)


def _place_label(resident, place, place_text):
    """What the practice dispatcher is told of the place (the same words a real report would use)."""
    if place == "home":
        return "home", resident.address
    if place.startswith("frequent-"):
        # Matched as the button's value, not parsed as an id: any text is simply no place of theirs
        # (a number beyond 64 bits made the database raise).
        name = _frequent_name(place, resident.places)
        if name is None:
            raise coach.PracticeInputError("登録された場所が見つかりません。", "The registered place was not found.")
        return "frequent", name[0]
    return place, place_text


@bp.post("/practice/reports")
@resident_required
def create_report():
    """The second tap: open the practice session and go to its chat."""
    form = ReportForm()
    resident = current_resident()
    if form.validate_on_submit():
        try:
            place_kind, label = _place_label(resident, form.place.data, (form.place_text.data or "").strip())
            session, _ = coach.open_session(
                resident.id, resident.hq_id, kind=form.kind.data, place_kind=place_kind,
                client_id=form.client_id.data, place_label=label, has_fix=bool(form.lat.data))
        except coach.PracticeInputError as error:
            form.form_errors.append(bilingual(error.ja, error.en))
        else:
            return redirect(url_for(".chat", case_number=session.case_number), 303)
    if resident.hq.tap_order == "place-first" and _is_place(form.place.data or "", resident.places):
        return _start_page(form=form, place=form.place.data, status=400)
    kind = form.kind.data if form.kind.data in coach.KINDS else None
    return _start_page(form=form, kind=kind, status=400)


def _own_session(case_number):
    """The current resident's practice session, or 404."""
    session = store.session_of(current_resident().id, case_number)
    if session is None:
        abort(404)
    return session


def _chat_page(session, form=None, status=200):
    coach.mark_displayed(session, session.last_seq)
    return render_page("report/chat.html", status=status, report=session,
                       events=list(session.events_after(0)), form=form or MessageForm(),
                       choices=coach.choice_words(session))


@bp.get("/practice/reports/<case_number>")
@resident_required
@kept_on_the_phone
def chat(case_number):
    """The practice chat."""
    return _chat_page(_own_session(case_number))


@bp.post("/practice/reports/<case_number>/messages")
@resident_required
def send_message(case_number):
    """Send a message (or tap an answer chip); the practice dispatcher's reply is on the next page."""
    session = _own_session(case_number)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            coach.post_message(session, body=form.body.data, client_id=form.client_id.data,
                               max_chars=current_app.config["MAX_MESSAGE_CHARS"])
        except coach.PracticeInputError as error:
            form.body.errors.append(bilingual(error.ja, error.en))
        else:
            return redirect(url_for(".chat", case_number=case_number, _anchor="compose"), 303)
    return _chat_page(session, form=form, status=400)


@bp.get("/practice/reports/<case_number>/log")
@resident_required
def chat_log(case_number):
    """The self-refreshing message list of the no-JavaScript practice chat."""
    session = _own_session(case_number)
    coach.mark_displayed(session, session.last_seq)
    return render_page("report/chat_log.html", report=session, events=list(session.events_after(0)),
                       refresh=current_app.config["NOSCRIPT_REFRESH_SECONDS"],
                       refreshed_at=time.time_ns() // 1_000_000)
