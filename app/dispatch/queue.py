"""The console queue: the HQ's open cases with what a dispatcher needs at a glance."""
from peewee import fn

from ..models import Report, ReportEvent, utcnow
from ..realtime import hub
from ..reporting import mark_displayed, open_reports_of

# What the resident says, not the location updates their phone sends every 30 s.
UNREAD_KINDS = ("message", "answer")


def queue_of(hq):
    """The context of dispatch/_queue.html: open cases newest first, unread counts, and now."""
    reports = list(open_reports_of(hq))
    unread = dict(ReportEvent.select(ReportEvent.report, fn.COUNT(ReportEvent.id))
                  .join(Report, on=ReportEvent.report == Report.id)
                  .where(Report.id.in_([r.id for r in reports]) & (ReportEvent.actor == "resident")
                         & ReportEvent.kind.in_(UNREAD_KINDS) & (ReportEvent.seq > Report.staff_read_seq))
                  .group_by(ReportEvent.report).tuples()) if reports else {}
    return {"reports": reports, "unread": unread, "now": utcnow()}


def seen_by_staff(report):
    """A console shows the whole case (既読); the first time, every queue of the HQ stops flashing it."""
    first_look = report.staff_read_seq == 0
    mark_displayed(report, "staff", report.last_seq)
    if first_look:
        hub.publish(f"hq:{report.receiving_hq_id}", report.id)
