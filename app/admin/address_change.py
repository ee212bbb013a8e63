"""An activated resident's mail address changed by their HQ, and both addresses told of it."""
from ..mail.outbox import send_now, store_mail
from ..models import AuditEntry, OutgoingMail, write_transaction
from ..registration.activation_mail import replace_address

# Whose address the HQ may change after activation: a cancelled registration has no one to reach.
CHANGEABLE = ("active", "suspended")


class NotChangeable(Exception):
    """The resident is in no state whose address is changed here (not yet activated, or cancelled)."""


def change_address(admin, resident, address):
    """Put ``address`` (normalised) in place of an activated resident's, and tell the old and the new one.

    Nothing the service does reads the address after activation (login is by login ID and
    password, and no mail resets it), so a change takes nothing over; but a resident must
    be able to see a change they did not ask for: the notice goes to the old address too.
    Returns the notices; raises NotChangeable, or activation_mail.SameAddress.
    """
    with write_transaction():
        old = replace_address(resident, address, while_status=CHANGEABLE, otherwise=NotChangeable)
        notices = [store_mail(to, "address_changed", hq=resident.hq) for to in (old, address) if to]
        AuditEntry.record("resident_email_change", staff=admin, resident=resident.login, old=old, new=address,
                          mail=[notice.id for notice in notices])
    resident.email = address
    for notice in notices:
        send_now(notice)
    return [OutgoingMail.get_by_id(notice.id) for notice in notices]
