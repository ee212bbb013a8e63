"""Claiming a case: which dispatcher of the HQ is handling it, shown to every console at once."""
from ..models import AuditEntry, Report, Staff, utcnow, write_transaction
from ..realtime import hub
from ..reporting import InvalidInput, changed_meanwhile, still_as_read


def claim_channel(report_id):
    """The hub channel a case view listens on for changes of its claim."""
    return f"claim:{report_id}"


def _announce(report):
    hub.publish(f"hq:{report.receiving_hq_id}", report.id)
    hub.publish(claim_channel(report.id), report.id)


def claim(report, staff, take_over_from=None):
    """Make ``staff`` the dispatcher handling ``report``.

    A case someone holds is taken only from the holder the console showed
    (``take_over_from``, a staff id): two dispatchers pressing 担当する at once
    must not both believe the case is theirs. Nor is a case taken that was closed or
    handed to another HQ since the console read it (CaseChanged): the new HQ's queue
    would show it handled by someone who is not there.
    """
    if not report.is_open:
        raise InvalidInput("claim", "この通報は終了しています。", "This report is closed.")
    if report.claimed_by_id == staff.id:
        return report
    with write_transaction():
        holder_now = (Report.claimed_by == take_over_from if take_over_from
                      else Report.claimed_by.is_null())
        taken = (Report.update(claimed_by=staff, claimed_at=utcnow())
                 .where(still_as_read(report) & holder_now).execute())
        if not taken:
            now = Report.get_by_id(report.id)
            if not now.is_open or now.receiving_hq_id != report.receiving_hq_id:
                raise changed_meanwhile(report, "claim")
            holder = now.claimed_by
            name = holder.name if holder else "未担当"
            raise InvalidInput("claim", f"担当が変わりました（{name}）。画面を確認してください。",
                               f"The case was claimed meanwhile ({name}). Check the screen.")
        previous = Staff.get_by_id(take_over_from).login if take_over_from else None
        AuditEntry.record("take_over" if previous else "claim", staff=staff, report=report,
                          previous=previous)
    report.claimed_by = staff
    _announce(report)
    return report


def release(report, staff):
    """``staff`` stops handling ``report``; only the one who claimed it can."""
    if report.claimed_by_id != staff.id:
        raise InvalidInput("claim", "この通報はあなたの担当ではありません。", "You have not claimed this case.")
    with write_transaction():
        (Report.update(claimed_by=None, claimed_at=None)
         .where((Report.id == report.id) & (Report.claimed_by == staff)).execute())
        AuditEntry.record("release", staff=staff, report=report)
    report.claimed_by = None
    _announce(report)
    return report
