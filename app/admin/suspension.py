"""Suspending a resident's account (SPEC §7.6) and lifting the suspension, audited."""
from ..auth import end_sessions_of
from ..models import AuditEntry, Resident, write_transaction


def set_suspended(admin, resident, suspended):
    """Suspend an active resident (every session ends at once) or reinstate a suspended one.

    Returns False when the resident is in neither state (pending, cancelled): nothing changes.
    """
    before, after = ("active", "suspended") if suspended else ("suspended", "active")
    with write_transaction():
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
