"""Review of routing: a designated city is never a ward of the one before it in the code list."""
import pytest

from app import routing
from app.hq_csv import parse_csv
from app.routing import Fix, HqRef, MemoryDirectory, Outcome, parent_code, route

HEADER = "code,name,phone,fax,uses_service,municipalities\n"
CHITOSE = HqRef("chitose", "千歳市消防本部", True)


@pytest.mark.parametrize("city", routing.WARD_PARENTS)
def test_a_designated_city_has_no_parent(city):
    assert parent_code(city) is None


@pytest.mark.parametrize("ward, city", [
    ("14131", "14130"), ("14151", "14150"), ("22131", "22130"), ("27141", "27140"), ("40131", "40130"),
])
def test_wards_of_the_second_city_of_a_prefecture_still_belong_to_it(ward, city):
    assert parent_code(ward) == city


# A point in each designated city that comes second in its prefecture's code list, and the
# city before it: with only the first one's HQ configured, the report used to go to it.
@pytest.mark.parametrize("place, lat, lon, city, other", [
    ("川崎市役所", 35.5308, 139.7030, "14130", "14100"),
    ("相模原市役所", 35.5714, 139.3733, "14150", "14130"),
    ("浜松市役所", 34.7108, 137.7261, "22130", "22100"),
    ("堺市役所", 34.5733, 135.4830, "27140", "27100"),
    ("福岡市役所", 33.5902, 130.4017, "40130", "40100"),
])
def test_a_city_is_not_routed_to_the_neighbouring_citys_hq(place, lat, lon, city, other):
    neighbour = HqRef("neighbour", "隣の政令市の消防局", True)
    directory = MemoryDirectory([(CHITOSE, ["01224"]), (neighbour, [other])])
    decision = route(Fix(lat, lon), CHITOSE, directory)
    assert decision.municipality.code == city
    assert decision.outcome is Outcome.OUT_OF_AREA
    assert decision.receiving_hq == CHITOSE and decision.call_hq is None


def test_two_designated_cities_of_one_prefecture_can_both_be_imported():
    result = parse_csv(HEADER + "yokohama,横浜市消防局,,,yes,14100\nkawasaki,川崎市消防局,,,yes,14130\n"
                       "sagamihara,相模原市消防局,,,yes,14150\n")
    assert result.ok, [str(e) for e in result.errors]


@pytest.mark.parametrize("lat, lon", [(42.30, 141.70), (43.3339, 140.3469)], ids=["at sea", "coast"])
def test_the_118_advice_names_net118_which_a_deaf_resident_can_use(lat, lon):
    # 118 is a voice number; the Coast Guard's text service for deaf and speech-impaired
    # people is NET118 (since 2019). Telling our users only "call 118" tells them nothing.
    directory = MemoryDirectory([(CHITOSE, ["01224"])])
    decision = route(Fix(lat, lon), CHITOSE, directory)
    assert decision.show_118
    assert "NET118" in decision.explanation and "NET118" in decision.explanation_en
