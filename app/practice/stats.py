"""What may be known of practice outside it: when a resident last practised, and counts per HQ."""
import logging

from peewee import PeeweeException, fn

from .store import PracticeSession, ensure_tables

log = logging.getLogger(__name__)


def last_practised(resident_id):
    """When the resident last started a practice report (naive UTC), or None."""
    try:
        ensure_tables()
        latest = (PracticeSession.select(PracticeSession.created_at)
                  .where(PracticeSession.resident_id == resident_id)
                  .order_by(PracticeSession.created_at.desc()).first())
    except PeeweeException:
        # The real start page shows this line: a broken practice store must not keep it from opening.
        log.exception("practice store unavailable")
        return None
    return latest and latest.created_at


def practised_counts(since):
    """``{hq_id: number of residents who practised since ``since`` (naive UTC)}``: counts only."""
    ensure_tables()
    query = (PracticeSession.select(PracticeSession.hq_id,
                                    fn.COUNT(PracticeSession.resident_id.distinct()).alias("residents"))
             .where(PracticeSession.created_at >= since).group_by(PracticeSession.hq_id))
    return {row.hq_id: row.residents for row in query}
