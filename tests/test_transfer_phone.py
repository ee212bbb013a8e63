"""An HQ that does not use NET119 cannot be handed a case: the console shows how to phone or fax it (SPEC §8).

In the demo data 南空知消防組合消防本部 (南幌町・由仁町・長沼町・栗山町) and 胆振東部消防組合消防本部
(安平町・厚真町・むかわ町) do not use the service.
"""
import pytest

from app.extensions import db
from app.models import Report
from app.reporting import record_location
from app.routing import Fix

from .conftest import dispatcher_account, form_fields, login_as, start_report

pytestmark = pytest.mark.both_databases

MINAMISORACHI = ("南空知消防組合消防本部", "000-0000-0701", "000-0000-0702")
IBURITOBU = ("胆振東部消防組合消防本部", "000-0000-0801", "000-0000-0802")
IN_NAGANUMA = {"lat": "43.011", "lon": "141.695", "accuracy": "15"}  # 長沼町: 南空知's area
IN_ABIRA = Fix(42.81, 141.83, 20)  # 安平町: 胆振東部's area


def chitose_case(app, **where):
    """A Chitose dispatcher's client and the path of a case its HQ received from ``where``."""
    resident, console = app.test_client(), app.test_client()
    login_as(resident, app.accounts["residents"][0])
    start_report(resident, **where)
    login_as(console, dispatcher_account(app), path="/dispatch/login")
    with db.connection_context():
        return console, f"/dispatch/cases/{Report.get().id}"


def phone_section(page):
    return page.split('id="phone-hqs"')[1].split("</section>")[0]


def in_the_open(section):
    """What the section shows before its <details> is opened."""
    return section.split("<details")[0]


def test_every_hq_outside_net119_is_listed_beside_the_transfer_form_with_its_numbers(app):
    console, case_url = chitose_case(app)  # from Chitose city hall: Chitose's own area
    page = console.get(case_url).text
    section = phone_section(page.split('id="transfer"')[1])
    for name, phone, fax in (MINAMISORACHI, IBURITOBU):
        row = section.split(name)[1].split("</tr>")[0]
        assert phone in row and fax in row
    assert "長沼町" in section.split(MINAMISORACHI[0])[1].split("</tr>")[0]  # the towns it covers
    assert "恵庭市消防本部" not in section  # those on NET119 are in the transfer form
    assert "<details" in section and "<summary>" in section


def test_the_hq_of_the_residents_position_comes_first_in_the_open(app):
    console, case_url = chitose_case(app, **IN_NAGANUMA)  # 管轄外: Chitose received it, 南空知 is to phone
    section = phone_section(console.get(case_url).text)
    relevant = in_the_open(section)
    assert MINAMISORACHI[0] in relevant and MINAMISORACHI[1] in relevant and MINAMISORACHI[2] in relevant
    assert "通報の場所の管轄" in relevant
    assert IBURITOBU[0] not in relevant and IBURITOBU[1] in section  # the rest, one click away


def test_the_hq_of_where_the_resident_has_moved_to_comes_first(app):
    console, case_url = chitose_case(app, **IN_NAGANUMA)
    with db.connection_context():
        record_location(Report.get(), IN_ABIRA, "moved-to-abira-01")
    relevant = in_the_open(phone_section(console.get(case_url).text))
    assert relevant.index(IBURITOBU[0]) < relevant.index(MINAMISORACHI[0])
    assert "利用者の最新の位置の管轄" in relevant.split(IBURITOBU[0])[1].split("</tr>")[0]


def test_a_transfer_to_an_hq_outside_net119_is_refused_with_its_phone_and_fax(app):
    console, case_url = chitose_case(app)
    fields = form_fields(console.get(case_url))
    response = console.post(f"{case_url}/transfer", data={"csrf_token": fields["csrf_token"], "hq": "minamisorachi"})
    assert response.status_code == 400
    error = response.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "NET119を使っていません" in error
    assert MINAMISORACHI[1] in error and MINAMISORACHI[2] in error


def test_the_old_hqs_dispatcher_told_their_message_was_not_sent_gets_the_new_hqs_numbers(app):
    """Their words did not reach the resident: if they matter, the old HQ phones the new one, now."""
    console, case_url = chitose_case(app)
    stale = form_fields(console.get(case_url))
    console.post(f"{case_url}/transfer", data={"csrf_token": stale["csrf_token"], "hq": "eniwa"})
    response = console.post(f"{case_url}/messages", data={**stale, "body": "窓から離れてください"})
    assert response.status_code == 409
    error = response.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "送られていません" in error and "000-0000-0201" in error and "000-0000-0202" in error
    assert "000-0000-0201" in response.text.split('id="unsent"')[1].split("</section>")[0]  # and beside the words
