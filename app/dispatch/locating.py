"""Asking the resident's device for a fresh position (SPEC §3.3)."""
from ..realtime import hub
from ..reporting import InvalidInput, check_client_id

# Shown as text to the resident (enough without JavaScript); with it, the page
# also takes a fresh fix and sends it at once (static/js/app.js).
REQUEST_TEXT = "現在地をもう一度送ってください。（Please send your current location again.）"


def request_location(report, staff, client_id):
    """Ask the resident's device for a fresh fix: a ledger event both sides see; ``(event, created)``."""
    check_client_id(client_id)
    if not report.is_open:
        raise InvalidInput("location", "この通報は終了しています。", "This report is closed.")
    event, created = report.append_event(kind="position_request", actor="staff", staff=staff,
                                         body=REQUEST_TEXT, client_id=client_id)
    if created:
        hub.publish(f"report:{report.id}", report.id, event.seq)
    return event, created
