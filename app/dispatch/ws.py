"""Console sockets: the HQ's queue, and one case's chat."""
import json
import time
from contextlib import nullcontext

from flask import abort, current_app, render_template, request, session

from ..auth import current_staff
from ..chat_socket import ReportFeed, frame_handler, render_refusal
from ..extensions import db, sock
from ..realtime import AccessEnded, parse_frame, serve_socket
from ..report.language import languages_of
from ..reporting import unsent_channel
from ..websockets import guard_handshake, is_websocket_request
from . import bp
from .access import case_for, unsent_to_read
from .claims import claim_channel
from .queue import UnreadNews, queue_of
from .summary import SUMMARY_MARKERS, answers_of


@bp.before_request
def check_handshake():
    """Refuse a socket from another origin, without a staff session, or for another HQ's case."""
    if not is_websocket_request():
        return
    guard_handshake()
    staff = current_staff()
    if staff is None:
        abort(403)
    report_id = (request.view_args or {}).get("report_id")
    if report_id is not None:
        report, upto = case_for(report_id, staff.hq)
        if report is None:
            abort(404)
        if upto is not None:
            abort(403)  # handed away: readable as a page, no longer live or writable


# The ledger frame of the resident's switch of language (_partials/_event.html's class).
LANGUAGE_MARKER = "event--language"

# Every resident message and every case read re-renders each queue of the HQ (a few
# milliseconds for tens of open cases): a queue socket renders at most this often
# (seconds), and at once for a case that arrives.
QUEUE_MIN_INTERVAL_S = 0.25


@sock.route("/ws", bp=bp)
def queue_socket(ws):
    """Push the queue whenever it changes, with the alarm when a case arrives.

    ``hq:<id>:new`` says a case arrived (a new report, or one handed over);
    ``hq:<id>`` only that the queue changed (status, claim, a case handed away,
    a resident's message or answer, a case read). An unread count that rises is
    news (UnreadNews): dispatch/_queue_news.html says which case; the page
    sounds for the row's count that rose (static/js/console.js), unless that
    case is the one on screen.
    """
    hq = current_staff().hq
    news = UnreadNews()
    news_sent = False
    rendered_at = 0.0

    def queue_frame(alarm):
        nonlocal news_sent
        queue = queue_of(hq)
        fresh = news.update(queue)
        frames = [render_template("dispatch/_queue.html", **queue, oob=True, alarm=alarm)]
        items = news.items(queue)
        if items or news_sent:
            frames.append(render_template("dispatch/_queue_news.html", news=items, fresh=fresh, oob=True))
        news_sent = bool(items)
        return frames

    def on_frame(raw):
        parse_frame(raw, {"resume", "read"})
        return queue_frame(alarm=False)

    def on_notice(notices):
        nonlocal rendered_at
        alarm = any(n.channel.endswith(":new") for n in notices)
        wait = QUEUE_MIN_INTERVAL_S - (time.monotonic() - rendered_at)
        if wait > 0 and not alarm:
            time.sleep(wait)  # what arrives meanwhile is rendered next, together
        with db.connection_context():
            frames = queue_frame(alarm=alarm)
        rendered_at = time.monotonic()
        return frames

    serve_socket(ws, session_id=session.id, channels=[f"hq:{hq.id}", f"hq:{hq.id}:new"],
                 on_notice=on_notice, on_frame=on_frame, on_error=render_refusal)


@sock.route("/cases/<int:report_id>/ws", bp=bp)
def case_socket(ws, report_id):
    """Live chat for the dispatcher, the same protocol as the resident's."""
    staff = current_staff()

    def still_ours(report):
        # Checked on every read of the report: a case handed to another HQ
        # (which is a ledger event, so every socket reads) leaves this console at once.
        if report is None or report.receiving_hq_id != staff.hq_id:
            raise AccessEnded()

    feed = ReportFeed(report_id, "staff", sent=request.args.get("after", 0, type=int), check=still_ours)
    handle_frame = frame_handler(feed, staff=staff, max_chars=current_app.config["MAX_MESSAGE_CHARS"])

    def with_summary(frames):
        # A question or an answer among the frames (live, or caught up on a resume): the summary follows.
        # The resident's switch of language: the note beside the reply box follows (report/language.py).
        summary = any(marker in frame for frame in frames for marker in SUMMARY_MARKERS)
        language = any(LANGUAGE_MARKER in frame for frame in frames)
        if summary or language:
            # A frame from the client is already handled inside a connection; a hub notice is not.
            with db.connection_context() if db.is_closed() else nullcontext():
                if summary:
                    frames.append(render_template("dispatch/_answers.html", answers=answers_of(report_id), oob=True))
                if language:
                    frames.append(render_template("dispatch/_resident_language.html", oob=True,
                                                  resident_language=languages_of([report_id])[report_id]))
        return frames

    # How many of the old HQ's unsent messages the page shows (case.html puts it in this URL).
    # Words kept between the page's render and this socket, or while it reconnected, come with
    # the resume; the list is sent only when it grew, not to announce it again on every resume.
    unsent_shown = request.args.get("unsent", 0, type=int)

    def unsent_frames(report):
        nonlocal unsent_shown
        unsent = unsent_to_read(report, staff.hq)
        if len(unsent) == unsent_shown:
            return []
        unsent_shown = len(unsent)
        return [render_template("dispatch/_unsent.html", unsent=unsent, oob=True)]

    def on_frame(raw):
        frames = with_summary(handle_frame(raw))  # first: it ends the socket of a case no longer ours
        if '"resume"' in raw and json.loads(raw).get("type") == "resume":  # handle_frame has parsed it
            return unsent_frames(report_id) + frames
        return frames

    def on_notice(notices):
        claimed = [n for n in notices if n.channel == claim_channel(report_id)]
        unsent = [n for n in notices if n.channel == unsent_channel(report_id)]
        frames = []
        if claimed or unsent:
            with db.connection_context():
                report = feed.load()
                if claimed:
                    frames.append(render_template("dispatch/_claim.html", report=report, writable=True, oob=True))
                if unsent:  # words the old HQ could not send after the transfer (dispatch/_unsent.html)
                    frames += unsent_frames(report)
        ledger = [n for n in notices if n not in claimed and n not in unsent]
        return frames + with_summary(feed.catch_up(ledger) if ledger else [])

    serve_socket(ws, session_id=session.id,
                 channels=[f"report:{report_id}", claim_channel(report_id), unsent_channel(report_id)],
                 on_notice=on_notice, on_frame=on_frame, on_error=render_refusal)
