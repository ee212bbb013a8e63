"""The chat protocol both the resident page and the console speak over a report's socket.

Client frames are JSON:
- ``{"type": "resume", "after": N}``: sent on every open, "I have everything up to N";
- ``{"type": "message", "client_id": ..., "body": ...}``: a retry repeats the client id;
- ``{"type": "read", "seq": N}``: "I have displayed everything up to N" (既読);
- ``{"type": "answer", "client_id": ..., "question_seq": N, "choice": ...}``: a tapped
  answer chip (resident only), idempotent like a message;
- ``{"type": "location", "client_id": ..., "lat": ..., "lon": ..., "accuracy": ...}``:
  the resident's position while the report is open (resident only).

Server frames are HTML fragments for htmx's ws extension: one event each, in
sequence order, a read marker when the other side has displayed more, and the
resident's answer chips whenever a question is asked or answered. The
event a client sent comes back as its acknowledgement (届きました only once it
is stored), also when a retry finds it already stored.
"""
import time
from contextlib import nullcontext

from flask import render_template

from . import fixed_sql
from .extensions import db
from .models import LARGEST_ID, Headquarters, Report, ReportEvent, Resident, Staff
from .realtime import AccessEnded, FrameError, parse_frame
from .reporting import (InvalidInput, answer_question, keep_unsent, mark_displayed, open_questions, parse_fix,
                        post_message, record_location)

FRAME_TYPES = {"resume", "message", "read", "answer", "location"}
RESIDENT_ONLY = {"answer": ("答えを送れるのは通報者だけです。", "Only the resident answers."),
                 "location": ("位置情報を送れるのは通報者だけです。", "Only the resident sends a location.")}
OTHER_SIDE = {"resident": "staff", "staff": "resident"}

# Every message is read back by each socket of its report: fixed SQL (see fixed_sql).
REPORT_ROW = 'SELECT * FROM "report" WHERE "id" = {p}'
REPORT_AND_EVENTS_AFTER = (
    'SELECT {parent}, {child} FROM "report" AS "parent" LEFT JOIN "report_event" AS "child" '
    'ON "child"."report_id" = "parent"."id" AND "child"."seq" > {p} WHERE "parent"."id" = {p} '
    'ORDER BY "child"."seq"')
# Names shown in the frames (resident, HQ, staff) are read at most this often
# per person: a renamed account shows its new name within this many seconds.
NAMES_TTL_S = 5
_names = {}  # (model, id) -> (monotonic expiry, row)


def load_report(report_id):
    """The report (or None), read with fixed SQL."""
    return fixed_sql.first(Report, REPORT_ROW, report_id)


class ReportFeed:
    """What one socket of ``viewer`` ("resident" or "staff") has been sent of one report."""

    def __init__(self, report_id, viewer, sent=0, check=None):
        # From the socket's URL (?after=): outside what a sequence number can be, all is sent again.
        self.report_id, self.viewer, self.sent = report_id, viewer, sent if 0 <= sent <= LARGEST_ID else 0
        self.read_sent = 0
        # check(report) raises AccessEnded when this viewer may no longer see it.
        self.check = check or (lambda report: None)

    def load(self):
        """The report as it is now, after the access check."""
        report = load_report(self.report_id)
        self.check(report)
        return report

    def resume(self, after):
        """Restart from ``after`` (the client's last sequence number)."""
        self.sent = _sequence_number(after, "再接続の情報が正しくありません。", "The resume position is not valid.")
        # Below any marker, so the marker is sent even at 0: a resume is always answered,
        # which is how a page asks whether its socket still gets through (app.js).
        self.read_sent = -1
        return self.pending()

    def catch_up(self, notices):
        """Frames for a batch of hub notices; no database read when they name nothing new.

        Nor when what is new was handed over by the publisher (``Notice.in_hand``):
        chat messages that follow on from what this socket has, and read markers
        (a notice without a sequence number, with the report as just marked). A
        gap or an event of any other kind (a transfer, a question) is read from
        the ledger as always.
        """
        if all(n.seq is not None and n.seq <= self.sent for n in notices):
            return []
        frames = self._from_hand(notices)
        if frames is not None:
            return frames
        with db.connection_context():
            return self.pending()

    def _from_hand(self, notices):
        """Frames for what the notices carry, or None when the ledger must be read."""
        fresh = [n for n in notices if n.seq is None or n.seq > self.sent]
        new = [n for n in fresh if n.seq is not None]
        if not all(n.in_hand for n in fresh) or not all(n.in_hand[1].kind == "message" for n in new) \
                or [n.seq for n in new] != list(range(self.sent + 1, self.sent + 1 + len(new))):
            return None
        # Copies: the sender's socket renders the same rows, and attaches names to them.
        report = fixed_sql.copy(fresh[-1].in_hand[0])
        # Each publisher's report is as its socket last read it: the markers are the furthest of them.
        for side in OTHER_SIDE:
            setattr(report, f"{side}_read_seq", max(n.in_hand[0].read_seq_of(side) for n in fresh))
        self.check(report)
        frames = []
        if new:
            events = [fixed_sql.copy(n.in_hand[1]) for n in new]
            self._attach_people(report, events)
            frames = [self.render(report, event) for event in events]
            self.sent = events[-1].seq
        return frames + self._read_marker(report)

    def pending(self):
        """Frames for every event after the last one sent, then the read marker if it moved."""
        report, events = fixed_sql.with_children(Report, ReportEvent, REPORT_AND_EVENTS_AFTER,
                                                 self.sent, self.report_id)
        self.check(report)
        if events:
            self._attach_people(report, events)
        frames = [self.render(report, event) for event in events]
        if events:
            self.sent = events[-1].seq
        if self.viewer == "resident" and any(e.kind in ("question", "answer", "status") for e in events):
            frames.append(render_template("_partials/_choices.html", report=report,
                                          questions=open_questions(report), oob=True))
        return frames + self._read_marker(report)

    def _read_marker(self, report):
        """The other side's read marker as a frame, if it moved since this socket was last told."""
        read = report.read_seq_of(OTHER_SIDE[self.viewer])
        if read <= self.read_sent:
            return []
        self.read_sent = read
        return [render_template("_partials/_read_marker.html", read_seq=read, oob=True)]

    def acknowledge(self, report, event):
        """The frame of ``event``, the next one after what this socket has, just stored by it."""
        self._attach_people(report, [event])
        self.sent = event.seq
        return [self.render(report, event)]

    def _attach_people(self, report, events):
        """Give the report and events the names this viewer's frames show, each read once.

        The resident sees the HQ's name, the console the resident's and its
        staff's; anything else a template touches is still loaded by peewee.
        """
        if self.viewer == "staff":
            report.resident = _named(Resident, report.resident_id)
        else:
            report.receiving_hq = _named(Headquarters, report.receiving_hq_id)
        for event in events:
            if event.staff_id is not None:
                event.staff = _named(Staff, event.staff_id)
            event.report = report

    def render(self, report, event):
        """One event as a frame for this viewer."""
        return render_template("_partials/_event_frame.html", report=report, event=event,
                               viewer=self.viewer)


def _named(model, row_id):
    """The row of a person or HQ whose name a frame shows, read again after NAMES_TTL_S."""
    now = time.monotonic()
    kept = _names.get((model, row_id))
    if kept is None or kept[0] < now:
        if len(_names) > 10_000:
            _names.clear()  # a bound, not a policy: entries are cheap to read again
        # A frame rendered from rows in hand (ReportFeed._from_hand) has no connection open.
        with db.connection_context() if db.is_closed() else nullcontext():
            row = fixed_sql.by_id(model, row_id)
        kept = _names[(model, row_id)] = (now + NAMES_TTL_S, row)
    return kept[1]


def frame_handler(feed, *, staff=None, max_chars):
    """Return ``on_frame(raw)`` for ``serve_socket``: resume, store a message, or mark read."""
    def on_frame(raw):
        frame = parse_frame(raw, FRAME_TYPES)
        if frame["type"] == "resume":
            return feed.resume(frame.get("after"))
        try:
            report = feed.load()
        except AccessEnded:
            if frame["type"] == "message" and staff is not None:
                # The case left this dispatcher's HQ before the socket heard: the words are kept,
                # unsent, where the console goes next (its read-only record).
                keep_unsent(load_report(feed.report_id), staff, frame.get("body"), frame.get("client_id"),
                            max_chars=max_chars)
            raise
        if frame["type"] == "read":
            seq = _sequence_number(frame.get("seq"), "既読の情報が正しくありません。", "The read position is not valid.")
            mark_displayed(report, feed.viewer, seq)
            return []
        try:
            if frame["type"] in RESIDENT_ONLY and feed.viewer != "resident":
                raise InvalidInput("type", *RESIDENT_ONLY[frame["type"]])
            if frame["type"] == "answer":
                event, _ = answer_question(report, frame.get("question_seq"), frame.get("choice"),
                                           frame.get("client_id"))
            elif frame["type"] == "location":
                event, _ = record_location(report, _location_fix(frame), frame.get("client_id"))
            else:
                event, _ = post_message(report, actor=feed.viewer, body=frame.get("body"),
                                        client_id=frame.get("client_id"), staff=staff, max_chars=max_chars)
        except InvalidInput as error:
            raise FrameError(error.ja, error.en) from None
        already_sent = event.seq <= feed.sent
        if frame["type"] == "message" and event.seq == feed.sent + 1:
            # Stored and committed, and nothing came in between: the acknowledgement
            # is rendered from what is in hand, without reading it back. (A read
            # marker that moved meanwhile comes with its own notice.)
            return feed.acknowledge(report, event)
        frames = feed.pending()
        # A retry of a message stored before (e.g. just before a disconnect) is
        # acknowledged all the same, or the sender would wait for it forever.
        return [feed.render(report, event), *frames] if already_sent else frames
    return on_frame


def _location_fix(frame):
    """The fix in a location frame: numbers only (text is for forms), else InvalidInput."""
    values = [frame.get(k) for k in ("lat", "lon", "accuracy")]
    if any(isinstance(v, bool) or not isinstance(v, (int, float, type(None))) for v in values) \
            or values[0] is None or values[1] is None:
        raise InvalidInput("location", "位置情報の形式が正しくありません。", "The location is not in a valid format.")
    return parse_fix(*values)


def _sequence_number(value, ja, en):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LARGEST_ID:
        raise FrameError(ja, en)
    return value


def render_refusal(error):
    """A refused frame (FrameError) as the page's notice, swapped out of band."""
    return render_template("_partials/_notice.html", notice_ja=error.ja, notice_en=error.en,
                           notice_kind="error", oob=True)
