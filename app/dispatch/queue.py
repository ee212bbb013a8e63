"""The console queue: the HQ's open cases with what a dispatcher needs at a glance."""
from peewee import fn

from ..models import Report, ReportEvent, utcnow
from ..report.language import languages_of
from ..reporting import mark_displayed, open_reports_of
from .access import unsent_counts

# What the resident says, not the location updates their phone sends every 30 s.
UNREAD_KINDS = ("message", "answer")


def queue_of(hq):
    """The context of dispatch/_queue.html: open cases newest first, unread counts, words kept unsent,
    the language each resident reads (one query for them all), and now."""
    reports = list(open_reports_of(hq))
    unread = dict(ReportEvent.select(ReportEvent.report, fn.COUNT(ReportEvent.id))
                  .join(Report, on=ReportEvent.report == Report.id)
                  .where(Report.id.in_([r.id for r in reports]) & (ReportEvent.actor == "resident")
                         & ReportEvent.kind.in_(UNREAD_KINDS) & (ReportEvent.seq > Report.staff_read_seq))
                  .group_by(ReportEvent.report).tuples()) if reports else {}
    return {"reports": reports, "unread": unread, "unsent_count": unsent_counts(reports, hq),
            "languages": languages_of([r.id for r in reports]), "now": utcnow()}


def seen_by_staff(report):
    """A console shows the whole case (既読); every queue of the HQ stops flashing it and counts nothing unread."""
    mark_displayed(report, "staff", report.last_seq)


class UnreadNews:
    """What one console's queue socket has shown, and the cases whose resident wrote since (news).

    A case is news when its unread count rises while the queue is on screen (a
    resident's message or answer); it stays news until it is read (no unread
    left) or leaves the queue. The first queue a socket sends is where it
    starts: nothing on it is news. A case that arrives (a new report, or one
    handed over) has the queue's own alarm instead.
    """

    def __init__(self):
        self._shown = None  # report id -> unread count, as last sent; None before the first
        self._news = []  # report ids, oldest news first

    def update(self, queue):
        """Take ``queue`` (queue_of) about to be sent; True when a case became news just now."""
        unread = queue["unread"]
        ids = [report.id for report in queue["reports"]]
        rose = [] if self._shown is None else [
            rid for rid in ids if rid in self._shown and unread.get(rid, 0) > self._shown[rid]]
        self._shown = {rid: unread.get(rid, 0) for rid in ids}
        self._news = [rid for rid in self._news if unread.get(rid)] + [rid for rid in rose if rid not in self._news]
        return bool(rose)

    def items(self, queue):
        """``[(report, unread count)]`` of the cases that are news, in the queue's order."""
        return [(report, queue["unread"][report.id]) for report in queue["reports"] if report.id in self._news]
