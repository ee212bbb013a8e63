"""The language the resident reads their report in, as the ledger says, and following their switch.

The report keeps the language of the resident's pages when they reported (the "opened"
event's ``data["language"]``). A resident may switch while the report is open (the link on
every page, core.choose_language: a cookie on the device), and the dispatcher must then write
in the language they read now. So the switch, as the resident's pages are next served for
the report, is a "language" event of the ledger: numbered, audited, told to the console live,
and in the case's record with the rest of it. The latest of these events is the language now.
"""
from ..models import ReportEvent
from ..realtime import hub

LANGUAGE_KINDS = ("opened", "language")

# What the console reads in the chat (the event's body, by language now) ...
SWITCHED = {"en": "通報者の画面が英語に切り替わりました。", "ja": "通報者の画面が日本語に切り替わりました。"}
# ... and what the resident reads in theirs, (ja, en): about themselves, not "the reporter".
TOLD_TO_RESIDENT = {
    "en": ("画面を英語にしました。消防本部にも伝えました。", "Your pages are now in English. The fire HQ has been told."),
    "ja": ("画面を日本語にしました。消防本部にも伝えました。", "Your pages are now in Japanese. The fire HQ has been told."),
}


def _language(data):
    return "en" if (data or {}).get("language") == "en" else "ja"


def languages_of(report_ids):
    """``{report id: "ja" or "en"}``: the language each resident reads now, in one query.

    The queue is drawn again on every change to any of its cases, for every console
    of the HQ: never a query per row.
    """
    if not report_ids:
        return {}
    rows = (ReportEvent.select(ReportEvent.report, ReportEvent.data)
            .where(ReportEvent.report.in_(list(report_ids)) & ReportEvent.kind.in_(LANGUAGE_KINDS))
            .order_by(ReportEvent.seq).tuples())
    languages = {report_id: "ja" for report_id in report_ids}
    for report_id, data in rows:
        languages[report_id] = _language(data)  # the latest wins
    return languages


def language_in(events):
    """The language now from a report's events already in hand (the case page has them all)."""
    latest = [event for event in events if event.kind in LANGUAGE_KINDS]
    return _language(latest[-1].data) if latest else "ja"


def follow_language(report, language):
    """Record that the resident's pages for ``report`` are now in ``language``, if the ledger says otherwise.

    Called as the resident's pages for an open report are served. Returns the event
    when one was stored. Two pages served at once (a reload and the no-JavaScript chat
    frame) store one event: the client id names the change and what it follows.
    """
    language = "en" if language == "en" else "ja"
    if not report.is_open:
        return None
    latest = (ReportEvent.select(ReportEvent.seq, ReportEvent.data)
              .where((ReportEvent.report == report) & ReportEvent.kind.in_(LANGUAGE_KINDS))
              .order_by(ReportEvent.seq.desc()).first())
    if latest is None or _language(latest.data) == language:
        return None
    event, created = report.append_event(kind="language", actor="resident", body=SWITCHED[language],
                                         data={"language": language},
                                         client_id=f"language-{latest.seq}-{language}")
    if not created:
        return None
    # The case's chat (its note beside the reply box) and the HQ's queues (the row's mark).
    hub.publish(f"report:{report.id}", report.id, event.seq)
    hub.publish(f"hq:{report.receiving_hq_id}", report.id, event.seq)
    return event
