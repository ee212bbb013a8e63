"""Template filters and globals shared by every page."""
import secrets
from datetime import timezone

from flask import current_app

from ..auth import current_resident, current_staff
from ..models import JST
from ..routing import Outcome
from ..report.language import TOLD_TO_RESIDENT
from ..reporting import KIND_LABELS, PLACE_LABELS, STATUS_LABELS, routing_notice, unseen_notice


def jst(moment, fmt="%m/%d %H:%M:%S"):
    """A stored UTC time shown in Japan time."""
    if moment is None:
        return ""
    return moment.replace(tzinfo=timezone.utc).astimezone(JST).strftime(fmt)


def outcome_label(value):
    """The Japanese label of a stored routing outcome (管轄内, 管轄外, 海上, 引き継ぎ …)."""
    if value == "transferred":
        return "引き継ぎ"
    try:
        return Outcome(value).label
    except ValueError:
        return value


def register(app):
    """Install the filters and globals on ``app``."""
    app.add_template_filter(jst)
    app.add_template_filter(outcome_label)
    app.add_template_global(KIND_LABELS, "KIND_LABELS")
    app.add_template_global(PLACE_LABELS, "PLACE_LABELS")
    app.add_template_global(STATUS_LABELS, "STATUS_LABELS")
    app.add_template_global(TOLD_TO_RESIDENT, "LANGUAGE_TOLD_TO_RESIDENT")
    app.add_template_global(
        lambda report: unseen_notice(report, current_app.config["UNSEEN_REPORT_SECONDS"]), "unseen_notice")
    app.add_template_global(routing_notice)
    app.add_template_global(current_resident)
    app.add_template_global(current_staff)
    # A fresh id for every rendered send form: submitting the same form twice
    # (double tap, browser retry) repeats the id, so only one copy is stored.
    app.add_template_global(lambda: secrets.token_urlsafe(16), "new_client_id")
