"""The chat protocol both the resident page and the console speak over a report's socket.

Client frames are JSON: ``{"type": "resume", "after": N}`` (sent on every
open: "I have everything up to N") and ``{"type": "message", "client_id": ...,
"body": ...}``. Server frames are HTML fragments for htmx's ws extension, one
event each, in sequence order; the event a client sent comes back as its
acknowledgement (届きました only once it is stored).
"""
from flask import render_template

from .models import Report
from .realtime import FrameError, parse_frame
from .reporting import InvalidInput, post_message

FRAME_TYPES = {"resume", "message"}


class ReportFeed:
    """What one socket has been sent of one report's ledger."""

    def __init__(self, report_id, render, sent=0):
        self.report_id, self.render, self.sent = report_id, render, sent

    def resume(self, after):
        """Restart from ``after`` (the client's last sequence number)."""
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise FrameError("再接続の情報が正しくありません。", "The resume position is not valid.")
        self.sent = after
        return self.pending()

    def pending(self):
        """Render every event after the last one sent, oldest first."""
        report = Report.get_by_id(self.report_id)
        events = list(report.events_after(self.sent))
        if events:
            self.sent = events[-1].seq
        return [self.render(report, event) for event in events]


def frame_handler(feed, *, actor, staff=None, max_chars):
    """Return ``on_frame(raw)`` for ``serve_socket``: resume, or store a message."""
    def on_frame(raw):
        frame = parse_frame(raw, FRAME_TYPES)
        if frame["type"] == "resume":
            return feed.resume(frame.get("after"))
        report = Report.get_by_id(feed.report_id)
        try:
            post_message(report, actor=actor, body=frame.get("body"),
                         client_id=frame.get("client_id"), staff=staff, max_chars=max_chars)
        except InvalidInput as error:
            raise FrameError(error.ja, error.en) from None
        return feed.pending()
    return on_frame


def event_renderer(viewer):
    """Render one event as a socket frame for ``viewer`` ("resident" or "staff")."""
    def render(report, event):
        return render_template("_partials/_event_frame.html", report=report, event=event, viewer=viewer)
    return render


def render_refusal(error):
    """A refused frame (FrameError) as the page's notice, swapped out of band."""
    return render_template("_partials/_notice.html", notice_ja=error.ja, notice_en=error.en,
                           notice_kind="error", oob=True)
