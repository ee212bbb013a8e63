"""The Headquarters CSV behind ``net119 hq import`` / ``export``: parse, validate, write.

One row per Headquarters::

    code,name,phone,fax,uses_service,municipalities
    chitose,千歳市消防本部,000-0000-0001,000-0000-0002,yes,01224

``municipalities`` holds the 5-digit JIS codes of its Jurisdiction, separated by spaces.
Parsing reports every problem with its line number, and returns no rows unless the whole file
is valid, so an import is all or nothing: iterating a :class:`ParseResult` yields every row or
raises :class:`InvalidCsv`.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .routing import HqRef, Municipality, municipalities, parent_code

COLUMNS = ("code", "name", "phone", "fax", "uses_service", "municipalities")
HQ_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,15}")  # part of the intake address r.<code>@…
PHONE = re.compile(r"[0-9+()\- ]{0,24}")
BOOLEANS = {"yes": True, "no": False, "1": True, "0": False, "true": True, "false": False}
MAX_FILE_BYTES = 5_000_000
# Shown on the console and the resident's screen and stored in a 255-character column.
MAX_NAME = 100
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class HqRow:
    """One valid Headquarters from the CSV."""

    code: str
    name: str
    phone: str
    fax: str
    uses_service: bool
    municipalities: tuple[str, ...]
    # Where the row came from, for errors found later against the database; 0 when not from a file.
    line: int = field(default=0, compare=False)

    @property
    def ref(self) -> HqRef:
        """What routing needs to know about this Headquarters."""
        return HqRef(self.code, self.name, self.uses_service, self.phone, self.fax)


@dataclass(frozen=True)
class CsvError:
    """One problem, on one line, in plain Japanese and English."""

    line: int
    message: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.line}行目: {self.message} / line {self.line}: {self.message_en}"


class InvalidCsv(ValueError):
    """Rows were taken from a file with errors; ``errors`` lists them all."""

    def __init__(self, errors: tuple[CsvError, ...]):
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


@dataclass(frozen=True)
class ParseResult:
    """Valid rows, or (never both) every error found."""

    rows: tuple[HqRow, ...]
    errors: tuple[CsvError, ...]

    @property
    def ok(self) -> bool:
        """True when the file can be imported."""
        return not self.errors

    def __iter__(self):
        # Iterating is the import path: it yields every row or refuses the whole file.
        if self.errors:
            raise InvalidCsv(self.errors)
        return iter(self.rows)


def read_csv(path: str | Path) -> ParseResult:
    """Parse a Headquarters CSV file (UTF-8, with or without BOM)."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        # Every fire HQ in Japan fits in well under 1 MB: a bigger file is the wrong file.
        return _failed(CsvError(1, f"ファイルが大きすぎます（{size:,} バイト、上限 {MAX_FILE_BYTES:,}）。"
                                   "消防本部の CSV か確かめてください。",
                                f"the file is too large ({size:,} bytes, limit {MAX_FILE_BYTES:,}): "
                                "is it the Headquarters CSV?"))
    return parse_csv(path.read_bytes())


def parse_csv(data: bytes | str) -> ParseResult:
    """Parse and validate a Headquarters CSV; see the module docstring for the format."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return _failed(_encoding_error(data, exc))
    data = data.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(data, newline=""))
    try:
        return _parse(reader)
    except csv.Error as exc:
        # The csv module's own refusals; the one a real file meets is a field over its size limit.
        too_long = "field limit" in str(exc)
        return _failed(CsvError(
            reader.line_num or 1,
            "この行は CSV として読めません（" + ("1つの欄が長すぎます" if too_long else str(exc)) + "）。",
            f"this line cannot be read as CSV ({'a field is too long' if too_long else exc})."))


def _encoding_error(data: bytes, exc: UnicodeDecodeError) -> CsvError:
    """Name the encoding the file seems to be in, and how to save it as UTF-8 instead."""
    line = data.count(b"\n", 0, exc.start) + 1
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        line, ja, en = 1, "ファイルが UTF-16（Excel の「Unicode テキスト」）で保存されています。", \
            "the file is saved as UTF-16 (Excel's \"Unicode Text\"), not UTF-8."
    elif _decodes(data, "cp932"):
        # Japanese Excel's plain 「CSV（コンマ区切り）」 writes Shift_JIS.
        ja, en = "ファイルが Shift_JIS で保存されています。", "the file is saved as Shift_JIS, not UTF-8."
    else:
        ja, en = "文字コードが UTF-8 ではありません。", "the file is not UTF-8."
    return CsvError(line, ja + "UTF-8 で保存し直してください（Excel なら「CSV UTF-8（コンマ区切り）」）。",
                    en + " Save it again as UTF-8 (in Excel, \"CSV UTF-8 (Comma delimited)\").")


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _parse(reader) -> ParseResult:
    """The header, then every row."""
    header = next(reader, None)
    if header is None:
        return _failed(CsvError(1, "ファイルが空です。", "the file is empty."))
    header = [cell.strip() for cell in header]
    if header != list(COLUMNS):
        ja, en = _separator_hint(header)
        return _failed(CsvError(1, f"見出しの行は {','.join(COLUMNS)} にしてください"
                                   f"（今は {','.join(header)}）。" + ja,
                                f"the header must be {','.join(COLUMNS)} "
                                f"(found {','.join(header)})." + en))
    return _validate(reader)


def _separator_hint(header: list[str]) -> tuple[str, str]:
    """Why a header is one field: Excel in some locales saves "CSV" with semicolons, a text export with tabs."""
    for mark, name in ((";", "semicolons"), ("\t", "tabs")):
        if len(header) == 1 and mark in header[0]:
            return ("区切りがコンマ（,）ではありません。コンマ区切りの CSV で保存し直してください。",
                    f" The fields are separated by {name}, not commas: save it again as comma-separated CSV.")
    return "", ""


def write_csv(rows) -> str:
    """The CSV text for these rows; :func:`parse_csv` reads it back unchanged."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.code, row.name, row.phone, row.fax,
                         "yes" if row.uses_service else "no", " ".join(row.municipalities)])
    return out.getvalue()


def _failed(*errors: CsvError) -> ParseResult:
    return ParseResult((), tuple(errors))


def _validate(reader) -> ParseResult:
    """Check every data row, and the rows against each other."""
    known = municipalities()
    rows: list[HqRow] = []
    errors: list[CsvError] = []
    hq_lines: dict[str, int] = {}
    claims: dict[str, tuple[str, int]] = {}  # municipality -> (HQ code, line)
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        problems: list[tuple[str, str]] = []
        if len(cells) != len(COLUMNS):
            errors.append(CsvError(line, f"列の数が {len(cells)} です（{len(COLUMNS)} 列必要）。",
                                   f"{len(cells)} fields, expected {len(COLUMNS)}."))
            continue
        code, name, phone, fax, uses_service, codes = (cell.strip() for cell in cells)
        if not code:
            problems.append(("code（本部コード）がありません。", "code is missing."))
        elif not HQ_CODE.fullmatch(code):
            problems.append((f"本部コード「{code}」は英小文字・数字・ハイフンで16文字までにしてください。",
                             f"HQ code '{code}' must be up to 16 lower-case letters, digits "
                             "or hyphens."))
        elif code in hq_lines:
            problems.append((f"本部コード「{code}」が {hq_lines[code]}行目と重複しています。",
                             f"HQ code '{code}' duplicates line {hq_lines[code]}."))
        else:
            hq_lines[code] = line
        if not name:
            problems.append(("name（本部名）がありません。", "name is missing."))
        elif len(name) > MAX_NAME:
            problems.append((f"name（本部名）は{MAX_NAME}文字までにしてください（今は{len(name)}文字）。",
                             f"name must be at most {MAX_NAME} characters (found {len(name)})."))
        elif CONTROL.search(name):
            problems.append(("name（本部名）に制御文字があります。", "name holds a control character."))
        for label, number in (("phone", phone), ("fax", fax)):
            if not PHONE.fullmatch(number):
                problems.append((f"{label}「{number}」に使えない文字があります（半角の数字・ハイフン）。",
                                 f"{label} '{number}' may only hold digits, spaces, +, - and ()."))
        flag = BOOLEANS.get(uses_service.lower())
        if flag is None:
            problems.append((f"uses_service「{uses_service}」は yes/no・1/0・true/false のどれかにしてください。",
                             f"uses_service '{uses_service}' must be yes/no, 1/0 or true/false."))
        jurisdiction = codes.split()
        if not jurisdiction:
            problems.append(("municipalities（管轄の市区町村コード）がありません。",
                             "municipalities is empty: list at least one JIS code."))
        for municipality in jurisdiction:
            problems += _municipality_problems(municipality, known, jurisdiction)
            if municipality in claims and claims[municipality][0] != code:
                owner, owner_line = claims[municipality]
                problems.append(
                    (f"{municipality} は {owner_line}行目の「{owner}」も管轄にしています。",
                     f"{municipality} is also claimed by '{owner}' on line {owner_line}."))
            claims.setdefault(municipality, (code, line))
        errors += [CsvError(line, ja, en) for ja, en in dict.fromkeys(problems)]
        if not problems:
            rows.append(HqRow(code, name, phone, fax, flag, tuple(jurisdiction), line))
    errors += _ward_overlaps(claims)
    if not rows and not errors:
        errors.append(CsvError(1, "本部の行がありません。", "no Headquarters rows."))
    if errors:
        return _failed(*sorted(errors, key=lambda e: e.line))
    return ParseResult(tuple(rows), ())


def _municipality_problems(code: str, known: Mapping[str, Municipality],
                           jurisdiction: list[str]) -> list[tuple[str, str]]:
    """What is wrong with one JIS code in a row."""
    if not re.fullmatch(r"[0-9]{5}", code):
        ja, en = f"市区町村コード「{code}」は半角数字5桁にしてください。", \
            f"municipality code '{code}' must be 5 digits."
        if re.fullmatch(r"[0-9]{4}", code) and "0" + code in known:
            # Spreadsheets read 01224 as the number 1224.
            ja += f"先頭の0が消えていませんか（0{code}）。"
            en += f" Was the leading zero dropped (0{code})?"
        elif re.fullmatch(r"[0-9]{6}", code) and code[:5] in known:
            # The 6-digit 全国地方公共団体コード ends in a check digit that JIS codes leave out.
            ja += f"6桁の団体コードなら最後の検査数字を除いてください（{code} → {code[:5]}）。"
            en += f" For a 6-digit local government code, drop the check digit ({code} -> {code[:5]})."
        return [(ja, en)]
    if not "01" <= code[:2] <= "47":
        return [(f"市区町村コード {code} の都道府県（先頭2桁）は 01〜47 です。",
                 f"municipality code {code}: the prefecture (first two digits) must be 01-47.")]
    if code not in known:
        parent = parent_code(code)
        if parent in known:
            return [(f"{code} は区のコードです。{known[parent].name}は {parent} で登録してください。",
                     f"{code} is a ward: register {known[parent].name_en} as {parent}.")]
        return [(f"市区町村コード {code} はありません。", f"no municipality has the code {code}.")]
    if jurisdiction.count(code) > 1:
        return [(f"{code} が同じ行に2回あります。", f"{code} appears twice in the row.")]
    return []


def _ward_overlaps(claims: dict[str, tuple[str, int]]) -> list[CsvError]:
    """A ward claimed by one HQ while its whole city is claimed by another."""
    errors = []
    for ward, (hq, line) in claims.items():
        parent = parent_code(ward)
        if parent in claims and claims[parent][0] != hq:
            owner, owner_line = claims[parent]
            errors.append(CsvError(line, f"{ward} は {owner_line}行目の「{owner}」の {parent} に含まれます。",
                                   f"{ward} lies inside {parent}, claimed by '{owner}' on line "
                                   f"{owner_line}."))
    return errors
