"""Review of practice (SPEC §6) against bad input: a plain error on the same page, never a 500."""
import pytest

from app.extensions import db
from app.models import FrequentPlace, Resident
from app.practice import store
from app.practice.ws import PracticeFeed
from app.realtime import FrameError

from .conftest import CHITOSE_CITY_HALL, form_fields, login_as


def others_place_id():
    """The id of a frequent place that is not the demo resident's."""
    with db.connection_context():
        other = Resident.create(login="eniwa-hanako", password_hash="!", hq=1, name="恵庭 花子")
        return FrequentPlace.create(resident=other, label="恵庭駅", address="", position=1).id


@pytest.mark.parametrize("place", ["frequent-" + "9" * 30, "frequent-abc", "frequent-", "frequent-{other}"])
def test_a_place_that_is_not_the_residents_is_a_plain_error(app, client, place):
    login_as(client, app.accounts["residents"][0])
    place = place.format(other=others_place_id())
    form = form_fields(client.get("/practice?kind=fire"))
    response = client.post("/practice/reports", data={**form, "kind": "fire", "place": place,
                                                      "place_text": "コンビニの前", **CHITOSE_CITY_HALL})
    assert response.status_code == 400
    assert "登録された場所が見つかりません。" in response.text
    assert "<title>エラー：練習中：" in response.text
    # What was typed is still there, to tap again.
    assert 'value="コンビニの前"' in response.text


@pytest.mark.parametrize("frame", ['{"type": "read", "seq": %d}' % 10**30, '{"type": "resume", "after": %d}' % 10**30,
                                   '{"type": "read", "seq": -1}', '{"type": "resume", "after": "12"}'])
def test_a_sequence_number_no_session_can_have_is_refused_as_a_frame(app, client, frame):
    """The socket answers a plain refusal, instead of failing (1011) on a number the database refuses."""
    login_as(client, app.accounts["residents"][0])
    page = client.get("/practice?kind=fire")
    chat = client.post("/practice/reports", data={**form_fields(page), "kind": "fire", "place": "home"})
    with store.practice_db.connection_context():
        practice = store.PracticeSession.get(store.PracticeSession.case_number == chat.headers["Location"].rsplit("/", 1)[1])
    with app.test_request_context(), pytest.raises(FrameError):
        PracticeFeed(practice.id).on_frame(frame)
