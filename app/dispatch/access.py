"""Which cases a console may read and write: its own HQ's, and read-only the ones it handed away."""
from peewee import fn

from ..models import Report, ReportEvent, Staff


def handed_away_upto(report_id, hq):
    """The sequence number of the last transfer by which ``hq`` handed the case away, or None."""
    return (ReportEvent.select(fn.MAX(ReportEvent.seq))
            .join(Staff, on=ReportEvent.staff == Staff.id)
            .where((ReportEvent.report == report_id) & (ReportEvent.kind == "transfer")
                   & (Staff.hq == hq))
            .scalar())


def case_for(report_id, hq):
    """``(report, upto)``: own case (``upto`` None), handed away (read-only up to seq ``upto``), or Nones."""
    report = Report.get_or_none(Report.id == report_id)
    if report is None:
        return None, None
    if report.receiving_hq_id == hq.id:
        return report, None
    upto = handed_away_upto(report.id, hq)
    return (report, upto) if upto is not None else (None, None)


def handed_away_by(hq, limit=50):
    """Cases ``hq`` handed to another HQ, most recent first (the read-only list)."""
    handed = (ReportEvent.select(ReportEvent.report)
              .join(Staff, on=ReportEvent.staff == Staff.id)
              .where((ReportEvent.kind == "transfer") & (Staff.hq == hq)))
    return list(Report.select().where(Report.id.in_(handed) & (Report.receiving_hq != hq))
                .order_by(Report.updated_at.desc()).limit(limit))
