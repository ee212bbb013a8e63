"""Asking the resident's device for a fresh position (SPEC §3.3)."""
from ..models import write_transaction
from ..realtime import hub
from ..reporting import InvalidInput, changed_meanwhile, check_client_id, is_still_as_read

# Shown as text to the resident (enough without JavaScript); with it, the page
# also takes a fresh fix and sends it at once (static/js/app.js).
REQUEST_TEXT = "現在地をもう一度送ってください。（Please send your current location again.）"


def request_location(report, staff, client_id):
    """Ask the resident's device for a fresh fix: a ledger event both sides see; ``(event, created)``."""
    check_client_id(client_id)
    if not report.is_open:
        raise InvalidInput("location", "この通報は終了しています。", "This report is closed.")
    with write_transaction():
        if not is_still_as_read(report):  # closed, or handed to another HQ, since the console read it
            raise changed_meanwhile(report, "location")
        event, created = report.append_event(kind="position_request", actor="staff", staff=staff,
                                             body=REQUEST_TEXT, client_id=client_id)
    if created:
        hub.publish(f"report:{report.id}", report.id, event.seq)
    return event, created
