"""Suspending a resident's account (SPEC §7.6) and lifting the suspension, audited."""
from ..auth import end_sessions_of
from ..models import AuditEntry, Resident, write_transaction
from ..reporting import latest_open_report


class ReportStillOpen(Exception):
    """The resident has a report open: suspending now would cut their chat with the HQ mid-case."""


def set_suspended(admin, resident, suspended):
    """Suspend an active resident (every session ends at once) or reinstate a suspended one.

    Returns False when the resident is in neither state (pending, cancelled): nothing changes.
    Raises ReportStillOpen rather than suspend a resident whose report is open.
    """
    before, after = ("active", "suspended") if suspended else ("suspended", "active")
    with write_transaction():
        # Ending the sessions would close the resident's chat while help may still be on the way,
        # and the dispatcher could no longer reach them: the case is closed first.
        if suspended and latest_open_report(resident) is not None:
            raise ReportStillOpen()
        changed = (Resident.update(status=after)
                   .where((Resident.id == resident.id) & (Resident.status == before)).execute())
        if changed:
            AuditEntry.record("resident_suspend" if suspended else "resident_reinstate", staff=admin,
                              resident=resident.login)
    if changed:
        resident.status = after
        if suspended:
            end_sessions_of(resident)
    return bool(changed)
