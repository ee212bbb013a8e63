"""Routing (SPEC §8): real coordinates across Japan, the sea and abroad, against a test directory.

Expected JIS codes come from the national municipality code list, not from reversejp's output.
"""
import math
from collections import namedtuple

import pytest

from app import routing
from app.hq_csv import parse_csv
from app.routing import (Fix, HqRef, MemoryDirectory, Municipality, Outcome, Surface,
                         destination, in_japanese_waters, locate, parent_code, route, survey)

# Fictional numbers: never dial a demo.
DIRECTORY_CSV = """\
code,name,phone,fax,uses_service,municipalities
chitose,千歳市消防本部,000-0000-0101,000-0000-0102,yes,01224
eniwa,恵庭市消防本部,000-0000-0201,,yes,01231
sapporo,札幌市消防局,,,yes,01100
tomakomai,苫小牧市消防本部,,,yes,01213
minamisorachi,南空知消防組合消防本部,000-0000-0701,000-0000-0702,no,01423 01427 01428 01429
tokyo,東京消防庁,,,yes,13100 13201
kawasaki,川崎市消防局,000-0000-1401,,no,14130
kyoto,京都市消防局,,,yes,26100
hiroshima,広島市消防局,,000-0000-3402,no,34100
tsushima,対馬市消防本部,,,yes,42209
sado,佐渡市消防本部,,,no,15224
naha,那覇市消防局,,,yes,47201
ishigaki,石垣市消防本部,,,no,47207
"""

IN, VISIT, OUT = Outcome.IN_AREA, Outcome.VISITING, Outcome.OUT_OF_AREA

# place, lat, lon, JIS code, municipality name, outcome for a resident of Chitose
LAND = [
    ("千歳市役所", 42.8210, 141.6509, "01224", "千歳市", IN),
    ("千歳駅", 42.8276, 141.6518, "01224", "千歳市", IN),
    ("新千歳空港", 42.7866, 141.6798, "01224", "千歳市", IN),
    ("植苗駅（千歳市の南隣）", 42.7193, 141.6767, "01213", "苫小牧市", VISIT),
    ("苫小牧市役所", 42.6342, 141.6054, "01213", "苫小牧市", VISIT),
    ("恵庭駅", 42.8825, 141.5853, "01231", "恵庭市", VISIT),
    ("恵庭市役所", 42.8828, 141.5778, "01231", "恵庭市", VISIT),
    ("札幌市役所", 43.0621, 141.3544, "01100", "札幌市", VISIT),
    ("長沼町役場", 43.0118, 141.6953, "01428", "長沼町", OUT),
    ("由仁町役場", 42.9972, 141.7849, "01427", "由仁町", OUT),
    ("函館市役所", 41.7687, 140.7288, "01202", "函館市", OUT),
    ("旭川市役所", 43.7706, 142.3650, "01204", "旭川市", OUT),
    ("釧路市役所", 42.9849, 144.3820, "01206", "釧路市", OUT),
    ("帯広市役所", 42.9236, 143.1966, "01207", "帯広市", OUT),
    ("稚内市役所", 45.4157, 141.6731, "01214", "稚内市", OUT),
    ("利尻島・鴛泊", 45.2408, 141.2236, "01519", "利尻富士町", OUT),
    ("利尻島・沓形", 45.1787, 141.1375, "01518", "利尻町", OUT),
    ("青森市役所", 40.8244, 140.7400, "02201", "青森市", OUT),
    ("盛岡市役所", 39.7020, 141.1545, "03201", "盛岡市", OUT),
    ("仙台市役所", 38.2682, 140.8694, "04100", "仙台市", OUT),
    ("秋田市役所", 39.7186, 140.1024, "05201", "秋田市", OUT),
    ("山形市役所", 38.2554, 140.3396, "06201", "山形市", OUT),
    ("福島市役所", 37.7608, 140.4748, "07201", "福島市", OUT),
    ("水戸市役所", 36.3658, 140.4713, "08201", "水戸市", OUT),
    ("宇都宮市役所", 36.5551, 139.8828, "09201", "宇都宮市", OUT),
    ("前橋市役所", 36.3895, 139.0634, "10201", "前橋市", OUT),
    ("さいたま市役所", 35.8617, 139.6455, "11100", "さいたま市", OUT),
    ("川口駅（荒川の北）", 35.8019, 139.7172, "11203", "川口市", OUT),
    ("赤羽駅（荒川の南）", 35.7779, 139.7209, "13117", "北区", VISIT),
    ("千葉市役所", 35.6074, 140.1065, "12100", "千葉市", OUT),
    ("市川市役所（江戸川の東）", 35.7219, 139.9310, "12203", "市川市", OUT),
    ("江戸川区役所（江戸川の西）", 35.7066, 139.8683, "13123", "江戸川区", VISIT),
    ("舞浜駅（旧江戸川の東）", 35.6329, 139.8804, "12227", "浦安市", OUT),
    ("葛西臨海公園（旧江戸川の西）", 35.6436, 139.8617, "13123", "江戸川区", VISIT),
    ("新宿区役所", 35.6938, 139.7036, "13104", "新宿区", VISIT),
    ("千代田区役所", 35.6940, 139.7536, "13101", "千代田区", VISIT),
    ("渋谷駅", 35.6580, 139.7016, "13113", "渋谷区", VISIT),
    ("八王子市役所", 35.6664, 139.3160, "13201", "八王子市", VISIT),
    ("八丈島", 33.1130, 139.7896, "13401", "八丈町", OUT),
    ("父島", 27.0944, 142.1917, "13421", "小笠原村", OUT),
    ("南鳥島", 24.2867, 153.9806, "13421", "小笠原村", OUT),
    ("羽田空港（多摩川の北）", 35.5494, 139.7798, "13111", "大田区", VISIT),
    ("川崎大師（多摩川の南）", 35.5347, 139.7285, "14130", "川崎市", OUT),
    ("川崎市役所", 35.5308, 139.7030, "14130", "川崎市", OUT),
    ("横浜市役所", 35.4437, 139.6380, "14100", "横浜市", OUT),
    ("新潟市役所", 37.9161, 139.0364, "15100", "新潟市", OUT),
    ("佐渡市役所", 38.0183, 138.3681, "15224", "佐渡市", OUT),
    ("両津港（佐渡）", 38.0806, 138.4381, "15224", "佐渡市", OUT),
    ("富山市役所", 36.6953, 137.2113, "16201", "富山市", OUT),
    ("金沢市役所", 36.5613, 136.6562, "17201", "金沢市", OUT),
    ("福井市役所", 36.0641, 136.2196, "18201", "福井市", OUT),
    ("甲府市役所", 35.6622, 138.5683, "19201", "甲府市", OUT),
    ("長野市役所", 36.6485, 138.1942, "20201", "長野市", OUT),
    ("岐阜市役所", 35.4233, 136.7606, "21201", "岐阜市", OUT),
    ("静岡市役所", 34.9756, 138.3828, "22100", "静岡市", OUT),
    ("浜松市役所", 34.7108, 137.7261, "22130", "浜松市", OUT),
    ("名古屋市役所", 35.1815, 136.9066, "23100", "名古屋市", OUT),
    ("津市役所", 34.7186, 136.5057, "24201", "津市", OUT),
    ("大津市役所", 35.0045, 135.8686, "25201", "大津市", OUT),
    ("京都市役所", 35.0116, 135.7681, "26104", "京都市中京区", VISIT),
    ("大阪市役所", 34.6937, 135.5023, "27100", "大阪市", OUT),
    ("住吉大社", 34.6125, 135.4934, "27100", "大阪市", OUT),
    ("堺市役所", 34.5733, 135.4830, "27140", "堺市", OUT),
    ("尼崎市役所", 34.7334, 135.4064, "28202", "尼崎市", OUT),
    ("神戸市役所", 34.6901, 135.1955, "28100", "神戸市", OUT),
    ("奈良市役所", 34.6851, 135.8048, "29201", "奈良市", OUT),
    ("和歌山市役所", 34.2305, 135.1708, "30201", "和歌山市", OUT),
    ("鳥取市役所", 35.5011, 134.2351, "31201", "鳥取市", OUT),
    ("松江市役所", 35.4681, 133.0484, "32201", "松江市", OUT),
    ("隠岐・西郷", 36.2100, 133.3200, "32528", "隠岐の島町", OUT),
    ("岡山市役所", 34.6551, 133.9195, "33100", "岡山市", OUT),
    ("広島市役所", 34.3853, 132.4553, "34101", "広島市中区", OUT),
    ("山口市役所", 34.1785, 131.4737, "35203", "山口市", OUT),
    ("徳島市役所", 34.0703, 134.5548, "36201", "徳島市", OUT),
    ("高松市役所", 34.3401, 134.0434, "37201", "高松市", OUT),
    ("小豆島", 34.4869, 134.2300, "37324", "小豆島町", OUT),
    ("松山市役所", 33.8392, 132.7657, "38201", "松山市", OUT),
    ("高知市役所", 33.5597, 133.5311, "39201", "高知市", OUT),
    ("北九州市役所", 33.8834, 130.8752, "40100", "北九州市", OUT),
    ("福岡市役所", 33.5902, 130.4017, "40130", "福岡市", OUT),
    ("佐賀市役所", 33.2494, 130.2988, "41201", "佐賀市", OUT),
    ("長崎市役所", 32.7503, 129.8777, "42201", "長崎市", OUT),
    ("佐世保市役所", 33.1799, 129.7152, "42202", "佐世保市", OUT),
    ("対馬市役所（厳原）", 34.2035, 129.2877, "42209", "対馬市", VISIT),
    ("上対馬", 34.6500, 129.3500, "42209", "対馬市", VISIT),
    ("熊本市役所", 32.8032, 130.7079, "43100", "熊本市", OUT),
    ("大分市役所", 33.2382, 131.6126, "44201", "大分市", OUT),
    ("宮崎市役所", 31.9111, 131.4239, "45201", "宮崎市", OUT),
    ("鹿児島市役所", 31.5966, 130.5571, "46201", "鹿児島市", OUT),
    ("桜島", 31.5800, 130.6500, "46201", "鹿児島市", OUT),
    ("屋久島", 30.3688, 130.6560, "46505", "屋久島町", OUT),
    ("奄美市役所", 28.3776, 129.4938, "46222", "奄美市", OUT),
    ("那覇市役所", 26.2124, 127.6809, "47201", "那覇市", VISIT),
    ("宮古島市役所", 24.8056, 125.2812, "47214", "宮古島市", OUT),
    ("石垣市役所", 24.3407, 124.1557, "47207", "石垣市", OUT),
    ("魚釣島（尖閣諸島、石垣市）", 25.7456, 123.4719, "47207", "石垣市", OUT),
    ("与那国町役場", 24.4678, 123.0045, "47382", "与那国町", OUT),
]

AT_SEA = [
    ("東京湾", 35.50, 139.85),
    ("苫小牧沖", 42.30, 141.70),
    ("新潟沖", 38.20, 138.70),
    ("三陸沖", 39.50, 143.00),
    ("津軽海峡", 41.45, 140.60),
    ("播磨灘", 34.50, 134.60),
    ("沖縄本島の西", 26.50, 128.50),
    ("小笠原の北", 27.50, 142.50),
    ("オホーツク海", 44.50, 144.50),
    ("日本海の中央", 40.00, 135.00),
    ("伊豆諸島の南", 32.00, 140.50),
    ("竹島（地域だけ、市町村の区域なし）", 37.2414, 131.8679),
    ("沖ノ鳥島（地域だけ）", 20.4253, 136.0808),
]

ABROAD = [
    ("Seoul", 37.5665, 126.9780),
    ("Busan", 35.1796, 129.0756),
    ("Jeju", 33.4996, 126.5312),
    ("Ulleungdo", 37.4845, 130.9057),
    ("Vladivostok", 43.1155, 131.8855),
    ("Yuzhno-Sakhalinsk", 46.9591, 142.7381),
    ("Korsakov", 46.6333, 142.7667),
    ("Urup", 46.0000, 150.0000),
    ("Taipei", 25.0330, 121.5654),
    ("Pengjia Islet", 25.6300, 122.0800),
    ("Shanghai", 31.2304, 121.4737),
    ("Manila", 14.5995, 120.9842),
    ("Guam", 13.4443, 144.7937),
    ("Saipan", 15.1800, 145.7500),
    ("Farallon de Pajaros", 20.5500, 144.9000),
    ("open Pacific", 35.0000, 165.0000),
    ("Honolulu", 21.3069, -157.8583),
    ("London", 51.5074, -0.1278),
]

# Stands in for reversejp.Property, which Python code cannot construct.
Property = namedtuple("Property", "code name en_name")

# A point 300 m inside Chitose from its border with Eniwa, on the line between the two stations.
NEAR_ENIWA = (42.8615, 141.6110)


@pytest.fixture(scope="module")
def directory():
    result = parse_csv(DIRECTORY_CSV)
    assert result.ok, [str(e) for e in result.errors]
    return MemoryDirectory.from_rows(result.rows)


@pytest.fixture(scope="module")
def home(directory):
    return directory.hq_for_municipality("01224")


@pytest.mark.parametrize("place, lat, lon, code, name, outcome", LAND, ids=[r[0] for r in LAND])
def test_land_points_route_by_jurisdiction(place, lat, lon, code, name, outcome, directory, home):
    municipality = locate(lat, lon)
    assert (municipality.code, municipality.name) == (code, name)
    decision = route(Fix(lat, lon), home, directory)
    assert (decision.municipality.code, decision.municipality.name) == (code, name)
    assert decision.outcome is outcome
    assert not decision.show_118
    assert decision.receiving_hq.code == ("chitose" if outcome is OUT else
                                          routing.jurisdiction_hq(directory, code).code)


@pytest.mark.parametrize("place, lat, lon", AT_SEA, ids=[r[0] for r in AT_SEA])
def test_at_sea_goes_home_and_shows_118(place, lat, lon, directory, home):
    decision = route(Fix(lat, lon), home, directory)
    assert decision.outcome is Outcome.AT_SEA
    assert decision.receiving_hq == home
    assert decision.municipality is None
    assert decision.show_118
    assert "118" in decision.explanation and "118" in decision.explanation_en


@pytest.mark.parametrize("place, lat, lon", ABROAD, ids=[r[0] for r in ABROAD])
def test_outside_japan_goes_home(place, lat, lon, directory, home):
    assert survey(lat, lon).surface is Surface.ABROAD
    decision = route(Fix(lat, lon, 50), home, directory)
    assert decision.outcome is Outcome.OUTSIDE_JAPAN
    assert decision.receiving_hq == home
    assert not decision.show_118
    assert "国外" in decision.explanation


def test_japanese_waters_hold_every_island_and_no_neighbour():
    islands = [(lat, lon) for _, lat, lon, *_ in LAND] + [(lat, lon) for _, lat, lon in AT_SEA]
    assert all(in_japanese_waters(lat, lon) for lat, lon in islands)
    assert not any(in_japanese_waters(lat, lon) for _, lat, lon in ABROAD)


def test_in_area(directory, home):
    decision = route(Fix(42.8210, 141.6509, 15), home, directory)
    assert decision.outcome is Outcome.IN_AREA
    assert decision.receiving_hq == home
    assert decision.call_hq is None
    assert decision.outcome.label == "管轄内"
    assert "千歳市消防本部" in decision.explanation


def test_visiting_goes_to_the_local_hq_that_uses_the_service(directory, home):
    decision = route(Fix(42.8828, 141.5778, 15), home, directory)
    assert decision.outcome is Outcome.VISITING
    assert decision.receiving_hq.code == "eniwa"
    assert "登録先は千歳市消防本部" in decision.explanation


def test_out_of_area_goes_home_with_whom_to_phone(directory, home):
    decision = route(Fix(43.0118, 141.6953, 15), home, directory)
    assert decision.outcome is Outcome.OUT_OF_AREA
    assert decision.outcome.label == "管轄外"
    assert decision.receiving_hq == home
    assert decision.call_hq.code == "minamisorachi"
    assert "管轄外" in decision.explanation and "000-0000-0701" in decision.explanation
    assert "000-0000-0702" in decision.explanation_en


def test_out_of_area_without_any_known_hq(directory, home):
    decision = route(Fix(42.9236, 143.1966), home, directory)
    assert decision.outcome is Outcome.OUT_OF_AREA
    assert decision.call_hq is None
    assert decision.municipality.name == "帯広市"
    assert "登録されていません" in decision.explanation


def test_home_hq_receives_in_its_own_area_even_when_marked_not_using(directory):
    home = HqRef("sado", "佐渡市消防本部", uses_service=False)
    decision = route(Fix(38.0183, 138.3681), home, directory)
    assert decision.outcome is Outcome.IN_AREA
    assert decision.receiving_hq.code == "sado"


@pytest.mark.parametrize("fix", [
    None,
    Fix(math.nan, 141.65),
    Fix(42.82, math.inf),
    Fix(95.0, 141.65),
    Fix(42.82, 200.0),
], ids=["none", "nan", "inf", "lat out of range", "lon out of range"])
def test_no_usable_fix_goes_home(fix, directory, home):
    decision = route(fix, home, directory)
    assert decision.outcome is Outcome.NO_FIX
    assert decision.receiving_hq == home
    assert decision.municipality is None
    assert "位置情報がありません" in decision.explanation


@pytest.mark.parametrize("code, hq, outcome", [
    ("26104", "kyoto", Outcome.VISITING),
    ("13104", "tokyo", Outcome.VISITING),
    ("34101", "hiroshima", Outcome.OUT_OF_AREA),
])
def test_wards_fall_back_to_the_whole_city(code, hq, outcome, directory, home):
    lat, lon = next((lat, lon) for _, lat, lon, c, *_ in LAND if c == code)
    decision = route(Fix(lat, lon), home, directory)
    assert decision.outcome is outcome
    assert (decision.call_hq or decision.receiving_hq).code == hq


@pytest.mark.parametrize("code, parent", [
    ("14131", "14130"), ("14118", "14100"), ("27128", "27100"), ("27141", "27140"),
    ("13104", "13100"), ("40131", "40130"), ("26104", "26100"),
    ("13201", None), ("01224", None), ("01100", None), ("47201", None),
])
def test_parent_code(code, parent):
    assert parent_code(code) == parent


def test_northern_territories_are_land_without_an_hq(directory, home):
    decision = route(Fix(44.03, 145.86), home, directory)
    assert decision.outcome is Outcome.OUT_OF_AREA
    assert decision.municipality is None and decision.call_hq is None
    assert "北方領土" in decision.explanation


def test_a_cape_missing_from_the_simplified_coast_is_coastal(directory, home):
    # 神威岬: only the forecast region covers it; 積丹町 is found within 1.5 km.
    decision = route(Fix(43.3339, 140.3469), home, directory)
    assert decision.municipality.code == "01405"
    assert decision.outcome is Outcome.OUT_OF_AREA
    assert decision.show_118
    assert "118" in decision.explanation


@pytest.mark.parametrize("accuracy, possible", [
    (None, []), (10, []), (100, []), (300, ["eniwa"]), (700, ["eniwa"]), (1500, ["eniwa"]),
])
def test_accuracy_circle_across_a_boundary_lists_the_neighbour(accuracy, possible, directory, home):
    decision = route(Fix(*NEAR_ENIWA, accuracy), home, directory)
    assert decision.municipality.code == "01224"
    assert decision.receiving_hq == home
    assert [hq.code for hq in decision.possible_hqs] == possible
    assert ("恵庭市消防本部" in decision.explanation) == bool(possible)


def test_neighbour_of_a_visited_area_can_be_the_home_hq(directory, home):
    # 300 m into Eniwa: Eniwa receives, and Chitose is possible.
    lat, lon = destination(*NEAR_ENIWA, 600, -41.6)
    decision = route(Fix(lat, lon, 700), home, directory)
    assert decision.receiving_hq.code == "eniwa"
    assert [hq.code for hq in decision.possible_hqs] == ["chitose"]


def test_possible_municipality_without_hq_is_still_listed(directory, home):
    # 9 km east-southeast of Chitose city hall, about 1 km short of 安平町 (no HQ in this
    # directory); the circle reaches 苫小牧市 too.
    decision = route(Fix(42.7933, 141.7545, 2000), home, directory)
    assert decision.municipality.code == "01224"
    assert {m.code for m in decision.possible_municipalities} == {"01585", "01213"}
    assert [hq.code for hq in decision.possible_hqs] == ["tomakomai"]


def test_huge_accuracy_is_capped(monkeypatch, directory, home):
    calls = []
    real = routing.reversejp.find_properties

    def counting(lon, lat):
        calls.append((lat, lon))
        return real(lon, lat)

    monkeypatch.setattr(routing.reversejp, "find_properties", counting)
    decision = route(Fix(42.8210, 141.6509, 50_000), home, directory)
    assert len(calls) == 1 + routing.ACCURACY_BEARINGS
    assert all(abs(_metres(calls[0], sample) - routing.ACCURACY_CAP_M) < 1 for sample in calls[1:])
    assert "50 km" in decision.explanation


def test_two_municipalities_at_one_point_keep_the_first_and_list_the_other(monkeypatch, directory,
                                                                         home):
    monkeypatch.setattr(routing.reversejp, "find_properties", lambda lon, lat: [
        Property("016010", "石狩地方", "Ishikari Region"),
        Property("0122400", "千歳市", "Chitose City"), Property("0123100", "恵庭市", "Eniwa City")])
    decision = route(Fix(42.8615, 141.6110), home, directory)
    assert decision.municipality.code == "01224"
    assert [hq.code for hq in decision.possible_hqs] == ["eniwa"]


@pytest.mark.parametrize("lat, lon, jma_code, name, name_en, expected", [
    (38.2682, 140.8694, "0410001", "仙台市東部", "Eastern Sendai City", ("04100", "仙台市", "Sendai City")),
    (34.65, 129.35, "4220902", "対馬市上対馬", "Kamitsushima, Tsushima City",
     ("42209", "対馬市", "Tsushima City")),
    (33.26, 129.12, "4220202", "佐世保市（宇久地域）", "Sasebo City (Uku Area)",
     ("42202", "佐世保市", "Sasebo City")),
    (35.0, 136.0, "2640712", "京丹波町旧瑞穂町", "Kyotamba Town", ("26407", "京丹波町", "Kyotamba Town")),
])
def test_split_warning_areas_name_the_whole_municipality(monkeypatch, lat, lon, jma_code, name,
                                                         name_en, expected):
    monkeypatch.setattr(routing.reversejp, "find_properties",
                        lambda lon, lat: [Property(jma_code, name, name_en)])
    assert locate(lat, lon) == Municipality(*expected)


@pytest.mark.parametrize("lat, distance, bearing, dlat, dlon", [
    (0.0, 1000, 0, 1000 / 111_195, 0.0),
    (0.0, 1000, 90, 0.0, 1000 / 111_195),
    (60.0, 1000, 90, 0.0, 2 * 1000 / 111_195),
    (35.0, 1000, 180, -1000 / 111_195, 0.0),
])
def test_destination_converts_metres_to_degrees(lat, distance, bearing, dlat, dlon):
    lat2, lon2 = destination(lat, 139.0, distance, bearing)
    assert lat2 - lat == pytest.approx(dlat, abs=2e-6)
    assert lon2 - 139.0 == pytest.approx(dlon, abs=2e-6)
    assert _metres((lat, 139.0), (lat2, lon2)) == pytest.approx(distance, rel=1e-6)


def test_every_known_municipality_is_a_jis_code():
    known = routing.municipalities()
    assert 1700 < len(known) < 1800
    assert all(len(code) == 5 and code.isdigit() and "01" <= code[:2] <= "47" for code in known)
    assert known["01224"] == Municipality("01224", "千歳市", "Chitose City")
    assert "13100" in known and "01101" not in known


def _metres(a, b):
    """Great-circle distance between two (lat, lon) points."""
    (la1, lo1), (la2, lo2) = (map(math.radians, p) for p in (a, b))
    h = (math.sin((la2 - la1) / 2) ** 2
         + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2)
    return 2 * routing.EARTH_RADIUS_M * math.asin(math.sqrt(h))


@pytest.mark.parametrize("accuracy, ja, en", [
    (1e300, "100 km以上", "over 100 km"),
    (math.inf, "", ""),
    (250_000, "100 km以上", "over 100 km"),
    (10_000, "約10 km", "about 10 km"),
])
def test_an_absurd_accuracy_reads_as_words_not_digits(accuracy, ja, en, directory, home):
    # The note is shown to the dispatcher and stored with the case: "約inf km" or a
    # 300-digit number helps nobody.
    decision = route(Fix(42.8210, 141.6509, accuracy), home, directory)
    assert decision.outcome is Outcome.IN_AREA
    assert "inf" not in decision.explanation and "inf" not in decision.explanation_en
    assert len(decision.explanation) < 120
    assert ja in decision.explanation and en in decision.explanation_en


def test_null_island_is_no_fix_not_abroad(directory, home):
    # 0,0 is what broken location stacks send; calling it 「国外」 would mislead the dispatcher.
    decision = route(Fix(0.0, 0.0, 10), home, directory)
    assert decision.outcome is Outcome.NO_FIX
    assert decision.receiving_hq == home
    assert not Fix(0.0, 0.0).is_usable() and Fix(0.0, 0.1).is_usable()
