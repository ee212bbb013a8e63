"""The Headquarters CSV: malformed files are refused with line numbers; valid files round-trip."""
from pathlib import Path

import pytest

from app.hq_csv import COLUMNS, HqRow, InvalidCsv, parse_csv, read_csv, write_csv
from app.routing import locate

DEMO_CSV = Path(__file__).resolve().parent.parent / "app" / "data" / "headquarters_demo.csv"
HEADER = ",".join(COLUMNS) + "\n"
CHITOSE = "chitose,千歳市消防本部,000-0000-0101,000-0000-0102,yes,01224\n"
ENIWA = "eniwa,恵庭市消防本部,,,no,01231\n"


@pytest.mark.parametrize("text, line, ja, en", [
    ("", 1, "空です", "empty"),
    ("code,name,phone,fax,uses_service\n" + CHITOSE, 1, "見出し", "header must be"),
    ("name,code,phone,fax,uses_service,municipalities\n" + CHITOSE, 1, "見出し", "header must be"),
    (HEADER, 1, "本部の行がありません", "no Headquarters rows"),
    (HEADER + "chitose,千歳市消防本部,,,yes\n", 2, "列の数が 5", "5 fields, expected 6"),
    (HEADER + CHITOSE + "eniwa,恵庭市消防本部,,,no,01231,extra\n", 3, "列の数が 7", "7 fields"),
    (HEADER + ",千歳市消防本部,,,yes,01224\n", 2, "code（本部コード）がありません", "code is missing"),
    (HEADER + "Chitose!,千歳市消防本部,,,yes,01224\n", 2, "英小文字", "lower-case"),
    (HEADER + "a-very-long-hq-code-indeed,千歳市消防本部,,,yes,01224\n", 2, "16文字", "up to 16"),
    (HEADER + CHITOSE + "chitose,恵庭市消防本部,,,no,01231\n", 3, "2行目と重複", "duplicates line 2"),
    (HEADER + "chitose,,,,yes,01224\n", 2, "name（本部名）がありません", "name is missing"),
    (HEADER + "chitose,千歳市消防本部,０１２３,,yes,01224\n", 2, "phone「０１２３」", "phone '０１２３'"),
    (HEADER + "chitose,千歳市消防本部,,call us,yes,01224\n", 2, "fax「call us」", "fax 'call us'"),
    (HEADER + "chitose,千歳市消防本部,,,maybe,01224\n", 2, "uses_service「maybe」", "yes/no"),
    (HEADER + "chitose,千歳市消防本部,,,,01224\n", 2, "uses_service「」", "yes/no"),
    (HEADER + "chitose,千歳市消防本部,,,yes,\n", 2, "municipalities（管轄の市区町村コード）がありません",
     "at least one"),
    (HEADER + "chitose,千歳市消防本部,,,yes,1224\n", 2, "半角数字5桁", "must be 5 digits"),
    (HEADER + "chitose,千歳市消防本部,,,yes,012240\n", 2, "半角数字5桁", "must be 5 digits"),
    (HEADER + "chitose,千歳市消防本部,,,yes,０１２２４\n", 2, "半角数字5桁", "must be 5 digits"),
    (HEADER + "chitose,千歳市消防本部,,,yes,01224;01231\n", 2, "半角数字5桁", "must be 5 digits"),
    (HEADER + "chitose,千歳市消防本部,,,yes,48201\n", 2, "01〜47", "01-47"),
    (HEADER + "chitose,千歳市消防本部,,,yes,00100\n", 2, "01〜47", "01-47"),
    (HEADER + "chitose,千歳市消防本部,,,yes,01999\n", 2, "01999 はありません", "no municipality"),
    (HEADER + "sapporo,札幌市消防局,,,yes,01101\n", 2, "01100 で登録", "as 01100"),
    (HEADER + "chitose,千歳市消防本部,,,yes,01224 01224\n", 2, "2回", "twice"),
    (HEADER + CHITOSE + "eniwa,恵庭市消防本部,,,no,01231 01224\n", 3,
     "2行目の「chitose」も管轄", "also claimed by 'chitose' on line 2"),
    (HEADER + "tokyo,東京消防庁,,,yes,13100\nshinjuku,新宿消防,,,yes,13104\n", 3,
     "13100 に含まれます", "inside 13100"),
    (HEADER.encode() + "chitose,千歳市消防本部,,,yes,01224\n".encode("shift_jis"), 2,
     "UTF-8", "not UTF-8"),
])
def test_malformed_files_are_refused_with_the_line(text, line, ja, en):
    result = parse_csv(text)
    assert not result.ok
    assert result.rows == ()
    assert any(e.line == line and ja in e.message and en in e.message_en for e in result.errors), \
        [str(e) for e in result.errors]


def test_every_error_is_reported_not_only_the_first():
    text = (HEADER + CHITOSE
            + "Bad Code,,abc,,maybe,1224\n"
            + "\n"
            + "eniwa,恵庭市消防本部,,,no,01224\n"
            + "eniwa,恵庭市消防本部,,,no,01231\n")
    result = parse_csv(text)
    assert result.rows == ()
    lines = [e.line for e in result.errors]
    assert lines == sorted(lines)
    assert lines.count(3) == 5  # code, name, phone, uses_service, municipality
    assert 5 in lines and 6 in lines  # 01224 claimed twice; eniwa twice (blank line 4 skipped)
    assert str(result.errors[0]).startswith("3行目: ")
    assert " / line 3: " in str(result.errors[0])


def test_iterating_an_invalid_file_refuses_it_whole():
    result = parse_csv(HEADER + CHITOSE + "eniwa,恵庭市消防本部,,,maybe,01231\n")
    with pytest.raises(InvalidCsv) as refused:
        list(result)
    assert refused.value.errors == result.errors
    assert "3行目" in str(refused.value)
    assert list(parse_csv(HEADER + CHITOSE)) == [HqRow("chitose", "千歳市消防本部", "000-0000-0101",
                                                       "000-0000-0102", True, ("01224",))]


@pytest.mark.parametrize("value, expected", [
    ("yes", True), ("no", False), ("1", True), ("0", False), ("true", True), ("false", False),
    ("YES", True), ("False", False), (" no ", False),
])
def test_uses_service_spellings(value, expected):
    result = parse_csv(HEADER + f"chitose,千歳市消防本部,,,{value},01224\n")
    assert result.ok
    assert result.rows[0].uses_service is expected


def test_bom_crlf_and_full_width_spaces_from_excel(tmp_path):
    path = tmp_path / "hq.csv"
    text = HEADER + "minamisorachi,南空知消防組合消防本部,,,no,01423\u300001427  01428 01429\n"
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8-sig"))
    result = read_csv(path)
    assert result.ok, [str(e) for e in result.errors]
    assert result.rows[0].municipalities == ("01423", "01427", "01428", "01429")
    assert parse_csv("\ufeff" + text).rows == result.rows


def test_quoted_fields_round_trip():
    rows = (HqRow("x-1", '名前, "引用" 付き', "+81 (0)00-0000", "", True, ("01224", "01231")),)
    assert parse_csv(write_csv(rows)).rows == rows


def test_demo_file_round_trips_unchanged():
    result = read_csv(DEMO_CSV)
    assert result.ok, [str(e) for e in result.errors]
    assert write_csv(result.rows) == DEMO_CSV.read_text(encoding="utf-8")
    assert parse_csv(write_csv(result.rows)).rows == result.rows


def test_demo_has_chitose_neighbours_and_the_out_of_area_path():
    rows = {row.code: row for row in read_csv(DEMO_CSV).rows}
    assert rows["chitose"].municipalities == ("01224",) and rows["chitose"].uses_service
    assert len(rows) >= 4
    assert any(not row.uses_service for row in rows.values())
    # Placeholder numbers only: nobody should dial a demo.
    assert all(row.phone.startswith("000-") and row.fax.startswith("000-") for row in rows.values())


# A point inside each demo municipality (town office or city hall), checked against the lookup.
DEMO_POINTS = {
    "01224": (42.8210, 141.6509),  # 千歳市
    "01231": (42.8828, 141.5778),  # 恵庭市
    "01234": (42.9853, 141.5636),  # 北広島市
    "01100": (43.0621, 141.3544),  # 札幌市
    "01213": (42.6342, 141.6054),  # 苫小牧市
    "01578": (42.5513, 141.3553),  # 白老町
    "01423": (43.0636, 141.6521),  # 南幌町
    "01427": (42.9972, 141.7849),  # 由仁町
    "01428": (43.0118, 141.6953),  # 長沼町
    "01429": (43.0566, 141.7848),  # 栗山町
    "01581": (42.7238, 141.8782),  # 厚真町
    "01585": (42.7630, 141.8170),  # 安平町
    "01586": (42.5754, 141.9238),  # むかわ町
}


def test_every_demo_municipality_is_where_the_lookup_puts_it():
    claimed = [code for row in read_csv(DEMO_CSV).rows for code in row.municipalities]
    assert sorted(claimed) == sorted(DEMO_POINTS)
    for code, (lat, lon) in DEMO_POINTS.items():
        assert locate(lat, lon).code == code


@pytest.mark.parametrize("data, line, ja, en", [
    # Japanese Excel's plain 「CSV（コンマ区切り）」 writes Shift_JIS: say so, and what to choose instead.
    ((HEADER + CHITOSE).encode("cp932"), 2, "Shift_JIS", "Shift_JIS"),
    ((HEADER + CHITOSE).encode("cp932"), 2, "CSV UTF-8", "CSV UTF-8"),
    ((HEADER + CHITOSE).encode("utf-16"), 1, "UTF-16", "UTF-16"),
])
def test_a_file_in_another_encoding_names_it_and_the_way_out(data, line, ja, en):
    result = parse_csv(data)
    assert not result.ok and result.rows == ()
    assert any(e.line == line and ja in e.message and en in e.message_en for e in result.errors), \
        [str(e) for e in result.errors]


@pytest.mark.parametrize("text, line, ja, en", [
    # The csv module's own refusals (a field over its size limit) used to escape as a traceback.
    (HEADER + CHITOSE.replace("01224", "01224 " + "0" * 200_000), 2, "読めません", "cannot be read"),
    # Names are stored in a 255-character column and read aloud on the console: keep them a name.
    (HEADER + CHITOSE.replace("千歳市消防本部", "千" * 101), 2, "100文字", "100 characters"),
    # A NUL cannot be stored in PostgreSQL text, and no control character belongs in a name.
    (HEADER + CHITOSE.replace("千歳市消防本部", "千歳\x00市消防本部"), 2, "制御文字", "control character"),
    (HEADER + CHITOSE.replace("千歳市消防本部", "千歳\x1b市消防本部"), 2, "制御文字", "control character"),
    # Excel drops the leading zero of a code, and offices often hold the 6-digit 団体コード.
    (HEADER + "chitose,千歳市消防本部,,,yes,1224\n", 2, "先頭の0", "leading zero"),
    (HEADER + "chitose,千歳市消防本部,,,yes,012246\n", 2, "012246 → 01224", "012246 -> 01224"),
])
def test_more_malformed_files_are_refused_with_the_line(text, line, ja, en):
    result = parse_csv(text)
    assert not result.ok and result.rows == ()
    assert any(e.line == line and ja in e.message and en in e.message_en for e in result.errors), \
        [str(e)[:300] for e in result.errors]


def test_a_file_far_too_large_to_be_the_hq_list_is_refused_unread(tmp_path, monkeypatch):
    path = tmp_path / "huge.csv"
    path.write_bytes((HEADER + CHITOSE).encode())
    monkeypatch.setattr("app.hq_csv.MAX_FILE_BYTES", 50)
    result = read_csv(path)
    assert not result.ok
    assert "大きすぎます" in result.errors[0].message and "too large" in result.errors[0].message_en
