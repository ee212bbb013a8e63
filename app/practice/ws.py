"""The practice chat socket: the real chat protocol, served from the practice store and hub."""
from flask import abort, current_app, render_template, request, session as web_session

from ..auth import current_resident
from ..extensions import sock
from ..models import LARGEST_ID
from ..realtime import FrameError, parse_frame, serve_socket
from ..websockets import guard_handshake, is_websocket_request
from . import bp, coach, store

FRAME_TYPES = {"resume", "message", "read"}


@bp.before_request
def check_handshake():
    """Refuse a socket from another origin, without a session or for another's practice."""
    if not is_websocket_request():
        return
    guard_handshake()
    resident = current_resident()
    if resident is None or store.session_of(resident.id, (request.view_args or {}).get("case_number")) is None:
        abort(403)


class PracticeFeed:
    """What one socket has been sent of one practice session."""

    def __init__(self, session_id, sent=0):
        self.session_id, self.sent, self.read_sent = session_id, sent, 0

    def resume(self, after):
        """Restart from ``after`` (the client's last sequence number)."""
        self.sent = _sequence_number(after)
        self.read_sent = -1  # the marker is sent even at 0: a resume is always answered (app.js)
        return self.pending()

    def catch_up(self, notices):
        """Frames for hub notices; nothing read when they name nothing new."""
        if all(n.seq is not None and n.seq <= self.sent for n in notices):
            return []
        with store.practice_db.connection_context():
            return self.pending()

    def pending(self):
        """Every event not sent yet, the read marker if it moved, and the current answer chips."""
        session = store.PracticeSession.get_by_id(self.session_id)
        events = list(session.events_after(self.sent))
        frames = [self.render(session, event) for event in events]
        if events:
            self.sent = events[-1].seq
            frames.append(render_template("practice/_choices.html", report=session,
                                          choices=coach.choice_words(session), oob=True))
        if session.staff_read_seq > self.read_sent:
            self.read_sent = session.staff_read_seq
            frames.append(render_template("_partials/_read_marker.html", read_seq=self.read_sent, oob=True))
        return frames

    def render(self, session, event):
        """One event as a frame."""
        return render_template("_partials/_event_frame.html", report=session, event=event, viewer="resident")

    def on_frame(self, raw):
        """Resume, store a message (the practice dispatcher answers at once), or mark read."""
        frame = parse_frame(raw, FRAME_TYPES)
        with store.practice_db.connection_context():
            if frame["type"] == "resume":
                return self.resume(frame.get("after"))
            session = store.PracticeSession.get_by_id(self.session_id)
            if frame["type"] == "read":
                coach.mark_displayed(session, _sequence_number(frame.get("seq")))
                return []
            try:
                event, _ = coach.post_message(session, body=frame.get("body"), client_id=frame.get("client_id"),
                                              max_chars=current_app.config["MAX_MESSAGE_CHARS"])
            except coach.PracticeInputError as error:
                raise FrameError(error.ja, error.en) from None
            already_sent = event.seq <= self.sent
            frames = self.pending()
            # A retried message stored before is acknowledged all the same.
            return [self.render(session, event), *frames] if already_sent else frames


def _sequence_number(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LARGEST_ID:
        raise FrameError("再接続の情報が正しくありません。", "The resume position is not valid.")
    return value


def _refusal(error):
    return render_template("_partials/_notice.html", notice_ja=error.ja, notice_en=error.en,
                           notice_kind="error", oob=True)


@sock.route("/practice/reports/<case_number>/ws", bp=bp)
def chat_socket(ws, case_number):
    """Live practice chat: same frames as the real one, on the practice hub only."""
    practice = store.session_of(current_resident().id, case_number)
    after = request.args.get("after", 0, type=int)
    feed = PracticeFeed(practice.id, sent=after if 0 <= after <= LARGEST_ID else 0)
    # The socket may stay open for hours: every step takes its own connection, none is held.
    if not store.practice_db.is_closed():
        store.practice_db.close()
    serve_socket(ws, session_id=web_session.id, channels=[f"practice:{practice.id}"],
                 on_notice=feed.catch_up, on_frame=feed.on_frame, on_error=_refusal,
                 fanout=store.practice_hub)
