"""Which cases a console may read and write: its own HQ's, and read-only the ones it handed away."""
from peewee import fn

from ..models import AuditEntry, Headquarters, Report, ReportEvent, Staff


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


def _transfers_by(hq):
    return (ReportEvent.select(ReportEvent.report, ReportEvent.seq, ReportEvent.data)
            .join(Staff, on=ReportEvent.staff == Staff.id)
            .where((ReportEvent.kind == "transfer") & (Staff.hq == hq)))


def handed_away_by(hq, limit=50):
    """Cases ``hq`` handed to another HQ, most recent first (the read-only list).

    Each has ``handed_to``: the HQ ``hq`` handed it to, not where it is now (it
    may have been handed on since; that is no longer ``hq``'s to know).
    """
    reports = list(Report.select().where(Report.id.in_(_transfers_by(hq).select(ReportEvent.report))
                                         & (Report.receiving_hq != hq))
                   .order_by(Report.updated_at.desc()).limit(limit))
    last = {}
    for event in _transfers_by(hq).where(ReportEvent.report.in_([r.id for r in reports])).order_by(ReportEvent.seq):
        last[event.report_id] = event.data.get("to")
    names = {h.code: h for h in Headquarters.select().where(Headquarters.code.in_(list(last.values())))}
    for report in reports:
        report.handed_to = names.get(last.get(report.id))
    return reports


def handed_to(report, upto):
    """The HQ the transfer at ``upto`` handed ``report`` to."""
    transfer = ReportEvent.get((ReportEvent.report == report) & (ReportEvent.seq == upto))
    return Headquarters.get_or_none(Headquarters.code == transfer.data.get("to"))


def unsent_messages(report, hq=None):
    """Dispatchers' messages refused because the case had left their HQ (message_unsent), oldest first.

    One per client id (a retry refused again is the same message); only ``hq``'s when given.
    """
    entries = (AuditEntry.select(AuditEntry, Staff, Headquarters)
               .join(Staff, on=AuditEntry.staff == Staff.id)
               .switch(AuditEntry).join(Headquarters, on=AuditEntry.hq == Headquarters.id)
               .where((AuditEntry.report == report) & (AuditEntry.action == "message_unsent"))
               .order_by(AuditEntry.id))
    if hq is not None:
        entries = entries.where(AuditEntry.hq == hq)
    seen, unsent = set(), []
    for entry in entries:
        key = entry.detail.get("client_id") or entry.id
        if key not in seen:
            seen.add(key)
            unsent.append(entry)
    return unsent


def unsent_to_read(report, hq):
    """What other HQs' dispatchers could not send after the case left them: for ``hq``, which has it now."""
    return [entry for entry in unsent_messages(report) if entry.hq_id != hq.id]


def unsent_counts(reports, hq):
    """``{report id: how many}`` of ``unsent_to_read`` for the queue's ``reports``, in one query.

    Only a case handed over can have them: the others are not looked up (the queue is
    rendered again on every resident message).
    """
    handed = [report.id for report in reports if report.routing_outcome == "transferred"]
    if not handed:
        return {}
    # One per client id, as unsent_messages: a retry refused again is the same message.
    seen = {(entry.report_id, entry.detail.get("client_id") or entry.id) for entry in
            AuditEntry.select(AuditEntry.id, AuditEntry.report, AuditEntry.detail)
            .where(AuditEntry.report.in_(handed) & (AuditEntry.action == "message_unsent") & (AuditEntry.hq != hq))}
    counts = {}
    for report_id, _ in seen:
        counts[report_id] = counts.get(report_id, 0) + 1
    return counts
