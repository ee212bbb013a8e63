"""An application sent while another tab (or a double press) still holds the draft stays sent:
it must not fall back to a draft, out of the HQ's list, nor be sent twice."""
from datetime import timedelta

from app.extensions import db
from app.models import Application, Headquarters, OutgoingMail, utcnow
from app.registration import applications


def a_draft():
    hq = Headquarters.get(Headquarters.code == "chitose")
    return Application.for_link(hq, "race.@docomo.ne.jp", utcnow() - timedelta(minutes=1))


def test_a_draft_saved_from_a_page_read_before_the_sending_does_not_unsend_it(app):
    with app.app_context(), db.connection_context():
        this_tab = a_draft()
        other_tab = Application.get_by_id(this_tab.id)  # both read while it was a draft
        assert applications.submit(this_tab, {"name": "千歳 次郎"})
        assert applications.save_draft(other_tab, {"name": "千歳 次"}) is False
        now = Application.get_by_id(this_tab.id)
        assert now.status == "submitted" and now.draft == {"name": "千歳 次郎"}
        assert now in list(applications.pending(now.hq))


def test_a_double_press_sends_it_once_with_one_mail(app):
    with app.app_context(), db.connection_context():
        first = a_draft()
        second = Application.get_by_id(first.id)
        mails = OutgoingMail.select().count()
        assert applications.submit(first, {"name": "千歳 次郎"})
        assert applications.submit(second, {"name": "千歳 次郎"}) is False
        assert OutgoingMail.select().count() == mails + 1


def test_a_late_draft_does_not_undo_the_hqs_decision(app):
    with app.app_context(), db.connection_context():
        stale = a_draft()
        applications.submit(Application.get_by_id(stale.id), {"name": "千歳 次郎"})
        Application.update(status="rejected", decided_at=utcnow()).where(Application.id == stale.id).execute()
        assert applications.save_draft(stale, {"name": "x"}) is False
        assert Application.get_by_id(stale.id).status == "rejected"
