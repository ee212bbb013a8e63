"""The intake's limits count mailboxes, not spellings, and one mail asks for one link per HQ."""
import smtplib

import pytest

from app.extensions import db
from app.models import OutgoingMail

from .test_registration import intake, relay, send_empty_mail  # noqa: F401 (fixtures)


def links_stored(app):
    with app.app_context(), db.connection_context():
        return OutgoingMail.select().count()


@pytest.mark.parametrize("spellings", [
    ["flood+1@example.jp", "flood+2@example.jp", "flood+3@example.jp"],
    ["Flood@example.jp", "flood@EXAMPLE.JP", "FLOOD@example.jp"],
    ['"flood."@docomo.ne.jp', "flood.@docomo.ne.jp", "flood.@docomo.ne.jp"],
])
def test_spellings_of_one_mailbox_share_its_limit(app, intake, spellings):  # noqa: F811
    """The limit (2 in this test) is per mailbox: +tags, case and quotes do not make a new one."""
    for sender in spellings[:2]:
        send_empty_mail(intake, sender, "r.chitose@net119.test")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send_empty_mail(intake, spellings[2], "r.chitose@net119.test")
    assert refused.value.recipients["r.chitose@net119.test"][0] == 450
    assert links_stored(app) == 2


def test_one_mail_to_an_hq_twice_gets_one_link(app, relay, intake):  # noqa: F811
    """The same intake address twice (in To and Cc, or in two spellings) is one request."""
    with smtplib.SMTP(intake.hostname, intake.port, timeout=5) as client:
        client.sendmail("twice@example.jp", ["r.chitose@net119.test", "R.Chitose@NET119.test"], b"")
    assert len(relay.messages_to("twice@example.jp")) == 1
