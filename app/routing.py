"""Routing (SPEC §8): location -> municipality -> the Headquarters that receives a report.

Pure logic: no Flask, no database. The database side implements :class:`Directory`.

How a fix is read
-----------------
* **Land.** ``reversejp`` (offline, JMA warning-area polygons) names the municipality. Its
  polygons are simplified (a vertex every ~0.8 km), and when a point falls in no polygon it
  retries up to ±0.005° (~0.5 km) around it, so points just off the simplified coast already
  come back as land.
* **Coast.** When reversejp finds nothing, or only a forecast region with no municipality
  (some capes and islets), we look at :data:`COAST_PROBE_BEARINGS` points 1 km away; each of
  those gets reversejp's own ±0.5 km retry, so land within about 1.5 km makes the fix a coastal
  one: the coastal municipality's Headquarters is responsible, and 118 is shown as well.
* **At sea / outside Japan.** Otherwise the fix is at sea if it lies inside
  :data:`JAPANESE_WATERS`, a coarse hand-drawn polygon around Japan's EEZ (including the
  high-seas gaps between its islands), drawn along the median lines so that it keeps clear of
  foreign land: Korea (Busan, Jeju, Ulleungdo), Russia (Primorye, Sakhalin, Urup), Taiwan and its
  islets, China's coast, the Northern Marianas and Guam. It is not a legal boundary: it only has
  to tell "at sea near Japan, call 118" from "abroad".
* **Northern Territories.** reversejp answers ``hoppo`` there: land in Japan with no
  municipality in the data and no Headquarters to phone.

Accuracy: a fix whose accuracy circle reaches another municipality still goes to the
Headquarters of the municipality containing the point; the other Headquarters are listed as
possible. The circle is sampled at :data:`ACCURACY_BEARINGS` bearings (a spherical destination
point, not a flat metres-per-degree guess), which catches every boundary closer to the fix than
cos(22.5°) ≈ 92 % of the radius; the radius is capped at :data:`ACCURACY_CAP_M` so a
cell-tower fix does not do silly work.
"""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping, Protocol

import reversejp

EARTH_RADIUS_M = 6_371_008.8
ACCURACY_BEARINGS = 8
ACCURACY_CAP_M = 3_000.0
ACCURACY_WORDS_CAP_M = 100_000.0
COAST_PROBE_M = 1_000.0
COAST_PROBE_BEARINGS = 8
MUNICIPALITIES_CSV = Path(__file__).parent / "data" / "municipalities.csv"

# (longitude, latitude), clockwise from the Korea Strait. See the module docstring.
JAPANESE_WATERS = (
    (128.30, 33.60), (128.95, 34.25), (129.35, 34.93), (130.10, 35.30), (130.60, 36.30),
    (131.35, 37.00), (131.40, 37.60), (132.00, 38.50), (134.00, 40.50), (136.50, 42.50),
    (139.00, 44.70), (140.50, 45.60), (141.93, 45.70), (143.40, 45.55), (145.50, 46.00),
    (149.15, 45.65), (149.00, 45.00), (151.50, 44.00), (147.50, 40.00), (146.50, 36.00),
    (158.00, 28.00), (158.00, 21.00), (146.00, 23.00), (143.30, 22.40), (141.50, 21.00),
    (138.50, 17.00), (133.50, 17.00), (131.50, 21.00), (125.00, 21.50), (123.00, 22.60),
    (122.45, 24.00), (122.45, 24.60), (122.80, 25.55), (123.80, 26.60), (125.30, 28.80),
    (125.60, 30.60), (126.00, 32.00), (127.50, 32.80),
)

# Designated cities (and Tokyo's special-ward area) whose wards have their own codes. An HQ
# may list the whole city's code; a ward's code then falls back to it.
WARD_PARENTS = (
    "01100", "04100", "11100", "12100", "13100", "14100", "14130", "14150", "15100", "22100",
    "22130", "23100", "26100", "27100", "27140", "28100", "33100", "34100", "40100", "40130",
    "43100",
)

NORTHERN_TERRITORIES = "hoppo"

# 118 is a voice number: our users reach the Coast Guard by text through NET118
# (海上保安庁, since 2019, registered in advance like NET119).
CALL_118 = "118番（海上保安庁。文字で通報するなら NET118）"
CALL_118_EN = "118 (Japan Coast Guard; by text: NET118)"


@dataclass(frozen=True)
class Fix:
    """A position reported by the device; accuracy is the radius in metres (95 % or 1σ)."""

    lat: float
    lon: float
    accuracy_m: float | None = None

    def is_usable(self) -> bool:
        """True when the coordinates are real numbers on the globe, and not the 0,0 of a broken fix."""
        return (isinstance(self.lat, (int, float)) and isinstance(self.lon, (int, float))
                and math.isfinite(self.lat) and math.isfinite(self.lon)
                and -90 <= self.lat <= 90 and -180 <= self.lon <= 180
                # Exactly 0,0 ("Null Island", open sea off Africa) is what a broken location
                # stack sends for "no fix": calling it 「国外」 would mislead the dispatcher.
                and (self.lat, self.lon) != (0, 0))

    def radius_m(self) -> float:
        """The accuracy radius worth sampling: 0 when unknown or nonsense, capped when huge."""
        accuracy = self.accuracy_m
        if not isinstance(accuracy, (int, float)) or not (math.isfinite(accuracy) and accuracy > 0):
            return 0.0
        return min(float(accuracy), ACCURACY_CAP_M)


@dataclass(frozen=True)
class Municipality:
    """A municipality by its 5-digit JIS code (wards for Tokyo, Kyoto and Hiroshima)."""

    code: str
    name: str
    name_en: str


@dataclass(frozen=True)
class HqRef:
    """What routing needs to know about a Headquarters."""

    code: str
    name: str
    uses_service: bool
    phone: str = ""
    fax: str = ""


class Directory(Protocol):
    """The Jurisdiction table: which Headquarters covers a municipality."""

    def hq_for_municipality(self, code: str) -> HqRef | None:
        """The Headquarters whose Jurisdiction lists this exact 5-digit code, if any."""


class MemoryDirectory:
    """A :class:`Directory` held in memory, for tests, benchmarks and CSV checks."""

    def __init__(self, jurisdictions: Iterable[tuple[HqRef, Iterable[str]]]):
        self._by_code = {code: hq for hq, codes in jurisdictions for code in codes}

    @classmethod
    def from_rows(cls, rows) -> MemoryDirectory:
        """Build from parsed HQ CSV rows (anything with ``ref`` and ``municipalities``)."""
        return cls((row.ref, row.municipalities) for row in rows)

    def hq_for_municipality(self, code: str) -> HqRef | None:
        """The Headquarters whose Jurisdiction lists this exact 5-digit code, if any."""
        return self._by_code.get(code)


class Surface(StrEnum):
    """What is under a fix."""

    LAND = "land"
    COAST = "coast"
    SEA = "sea"
    ABROAD = "abroad"


@dataclass(frozen=True)
class Place:
    """Where a fix is: the surface, the municipality if any, and others nearby."""

    surface: Surface
    municipality: Municipality | None = None
    nearby: tuple[Municipality, ...] = ()

    @property
    def name(self) -> str:
        """Japanese name for messages (land with no municipality is the Northern Territories)."""
        return self.municipality.name if self.municipality else "北方領土"

    @property
    def name_en(self) -> str:
        """English name for messages."""
        return self.municipality.name_en if self.municipality else "the Northern Territories"


class Outcome(StrEnum):
    """How a report was routed; the value is what the database stores."""

    IN_AREA = "in_area"
    VISITING = "visiting"
    OUT_OF_AREA = "out_of_area"
    NO_FIX = "no_fix"
    AT_SEA = "at_sea"
    OUTSIDE_JAPAN = "outside_japan"

    @property
    def label(self) -> str:
        """Short Japanese label for the console (「管轄外」 for OUT_OF_AREA)."""
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        """Short English label for the console."""
        return _LABELS[self][1]


_LABELS = {
    Outcome.IN_AREA: ("管轄内", "In area"),
    Outcome.VISITING: ("他本部の登録者", "Registered elsewhere"),
    Outcome.OUT_OF_AREA: ("管轄外", "Out of area"),
    Outcome.NO_FIX: ("位置情報なし", "No location"),
    Outcome.AT_SEA: ("海上", "At sea"),
    Outcome.OUTSIDE_JAPAN: ("国外", "Outside Japan"),
}


@dataclass(frozen=True)
class Decision:
    """Which Headquarters receives a report, and everything the console and resident are told."""

    outcome: Outcome
    receiving_hq: HqRef
    municipality: Municipality | None
    call_hq: HqRef | None
    show_118: bool
    possible_hqs: tuple[HqRef, ...]
    possible_municipalities: tuple[Municipality, ...]
    explanation: str
    explanation_en: str


def locate(lat: float, lon: float) -> Municipality | None:
    """The municipality at a point; None at sea, abroad or in the Northern Territories."""
    municipalities, _ = _lookup(lat, lon)
    return municipalities[0] if municipalities else None


def survey(lat: float, lon: float) -> Place:
    """Classify a point as land, coast, sea or abroad (method in the module docstring)."""
    found, region_only = _lookup(lat, lon)
    if found:
        return Place(Surface.LAND, found[0], found[1:])
    if region_only == NORTHERN_TERRITORIES:
        return Place(Surface.LAND)
    if region_only or in_japanese_waters(lat, lon):
        coast = _municipalities_around(lat, lon, COAST_PROBE_M, COAST_PROBE_BEARINGS)
        if coast:
            return Place(Surface.COAST, coast[0], coast[1:])
        return Place(Surface.SEA)
    return Place(Surface.ABROAD)


def in_japanese_waters(lat: float, lon: float) -> bool:
    """True inside :data:`JAPANESE_WATERS` (ray casting on longitude/latitude)."""
    inside = False
    x0, y0 = JAPANESE_WATERS[-1]
    for x1, y1 in JAPANESE_WATERS:
        if (y1 > lat) != (y0 > lat) and lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
        x0, y0 = x1, y1
    return inside


def destination(lat: float, lon: float, distance_m: float,
                bearing_deg: float) -> tuple[float, float]:
    """The point ``distance_m`` away on ``bearing_deg`` (great circle on a spherical Earth)."""
    phi, lam, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    delta = distance_m / EARTH_RADIUS_M
    phi2 = math.asin(math.sin(phi) * math.cos(delta)
                     + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lam2 = lam + math.atan2(math.sin(theta) * math.sin(delta) * math.cos(phi),
                            math.cos(delta) - math.sin(phi) * math.sin(phi2))
    return math.degrees(phi2), (math.degrees(lam2) + 540) % 360 - 180


def parent_code(code: str) -> str | None:
    """The designated city (or Tokyo's ward area) that a ward's code belongs to, if any."""
    # A designated city is no ward: without this, 14130 (Kawasaki) read as a ward of
    # 14100 (Yokohama), the parent before it in the list, and took Yokohama's HQ.
    if not (len(code) == 5 and code.isdigit() and code[2] == "1") or code in WARD_PARENTS:
        return None
    parents = [p for p in WARD_PARENTS if p[:2] == code[:2] and p < code]
    return parents[-1] if parents else None


def jurisdiction_hq(directory: Directory, code: str) -> HqRef | None:
    """The Headquarters with Jurisdiction over a municipality, falling back from ward to city."""
    hq = directory.hq_for_municipality(code)
    parent = parent_code(code)
    if hq is None and parent:
        hq = directory.hq_for_municipality(parent)
    return hq


@cache
def municipalities() -> Mapping[str, Municipality]:
    """Every code the lookup can produce, and the ward parents (app/data/municipalities.csv)."""
    with MUNICIPALITIES_CSV.open(encoding="utf-8", newline="") as f:
        return MappingProxyType({row["code"]: Municipality(**row) for row in csv.DictReader(f)})


def route(fix: Fix | None, home_hq: HqRef, directory: Directory) -> Decision:
    """Decide which Headquarters receives a report from ``fix`` by a resident of ``home_hq``."""
    if fix is None or not fix.is_usable():
        return _decide(Outcome.NO_FIX, home_hq, home_hq)
    place = survey(fix.lat, fix.lon)
    if place.surface is Surface.ABROAD:
        return _decide(Outcome.OUTSIDE_JAPAN, home_hq, home_hq, place, fix)
    possible = _possible(place, fix)
    if place.surface is Surface.SEA:
        return _decide(Outcome.AT_SEA, home_hq, home_hq, place, fix, possible=possible,
                       directory=directory)
    local = jurisdiction_hq(directory, place.municipality.code) if place.municipality else None
    if local and (local.code == home_hq.code or local.uses_service):
        outcome = Outcome.IN_AREA if local.code == home_hq.code else Outcome.VISITING
        return _decide(outcome, local, home_hq, place, fix, possible=possible,
                       directory=directory)
    return _decide(Outcome.OUT_OF_AREA, home_hq, home_hq, place, fix, call_hq=local,
                   possible=possible, directory=directory)


def _lookup(lat: float, lon: float) -> tuple[list[Municipality], str]:
    """Municipalities at a point, and the region code when only a region (or hoppo) matched."""
    found: list[Municipality] = []
    region = ""
    for prop in reversejp.find_properties(lon, lat):
        if len(prop.code) == 7:
            municipality = _municipality(prop.code, prop.name, prop.en_name)
            if municipality not in found:
                found.append(municipality)
        elif not region or prop.code == NORTHERN_TERRITORIES:
            region = prop.code
    return found, region


@cache
def _municipality(jma_code: str, name: str, name_en: str) -> Municipality:
    """Turn a JMA warning-area property into a municipality.

    JMA codes are the JIS code plus two digits; a nonzero suffix is part of a municipality
    split for warnings (仙台市東部, 対馬市上対馬, 佐世保市（宇久地域）), named after the whole one.
    """
    if not jma_code.endswith("00"):
        name = re.match(r".+?[市町村]", name).group(0)
        name_en = re.sub(r"^(Eastern|Western|Northern|Southern) ", "",
                         re.sub(r"\s*\(.*\)$", "", name_en).rsplit(", ", 1)[-1])
    return Municipality(jma_code[:5], name, name_en)


def _municipalities_around(lat: float, lon: float, radius_m: float,
                           bearings: int) -> list[Municipality]:
    """Distinct municipalities found on a circle, most often hit first."""
    hits: dict[Municipality, int] = {}
    for i in range(bearings):
        for municipality in _lookup(*destination(lat, lon, radius_m, 360 * i / bearings))[0]:
            hits[municipality] = hits.get(municipality, 0) + 1
    return sorted(hits, key=hits.get, reverse=True)


def _possible(place: Place, fix: Fix) -> list[Municipality]:
    """Municipalities other than the fix's own that the fix may really be in."""
    candidates = list(place.nearby)
    radius = fix.radius_m()
    if radius:
        candidates += _municipalities_around(fix.lat, fix.lon, radius, ACCURACY_BEARINGS)
    possible: list[Municipality] = []
    for municipality in candidates:
        if municipality != place.municipality and municipality not in possible:
            possible.append(municipality)
    return possible


def _decide(outcome: Outcome, receiving: HqRef, home: HqRef, place: Place | None = None,
            fix: Fix | None = None, *, call_hq: HqRef | None = None,
            possible: Iterable[Municipality] = (), directory: Directory | None = None) -> Decision:
    """Assemble a Decision and its explanations."""
    # The receiving HQ and the one to phone are already named; list only the others.
    seen = {receiving.code} | ({call_hq.code} if call_hq else set())
    possible_hqs: list[HqRef] = []
    for municipality in possible:
        hq = jurisdiction_hq(directory, municipality.code)
        if hq and hq.code not in seen:
            seen.add(hq.code)
            possible_hqs.append(hq)
    surface = place.surface if place else None
    ja, en = _explain(outcome, receiving, home, place, call_hq)
    if surface is Surface.COAST:
        ja += f"海岸の近くです。海の上なら{CALL_118}へ。"
        en += f" Near the coast: if at sea, call {CALL_118_EN}."
    if possible_hqs:
        names = [hq.name for hq in possible_hqs]
        ja += f"位置の誤差の範囲に{'・'.join(names)}の管轄も含まれます。"
        en += f" The accuracy circle also reaches the area of {', '.join(names)}."
    if fix and fix.radius_m() and fix.radius_m() < fix.accuracy_m:
        about, about_en = _distance(fix.accuracy_m)
        ja += f"位置の誤差が大きい（{about}）ため、場所を確かめてください。"
        en += f" The location is imprecise ({about_en}): confirm the place."
    return Decision(
        outcome=outcome,
        receiving_hq=receiving,
        municipality=place.municipality if place else None,
        call_hq=call_hq,
        show_118=surface in (Surface.SEA, Surface.COAST),
        possible_hqs=tuple(possible_hqs),
        possible_municipalities=tuple(possible),
        explanation=ja,
        explanation_en=en,
    )


def _explain(outcome: Outcome, receiving: HqRef, home: HqRef, place: Place | None,
             call_hq: HqRef | None) -> tuple[str, str]:
    """The main sentence of a Decision, in Japanese and English."""
    if outcome is Outcome.IN_AREA:
        return (f"{place.name}から。{receiving.name}が受け付けます（管轄内）。",
                f"From {place.name_en}. {receiving.name} receives it (its own area).")
    if outcome is Outcome.VISITING:
        return (f"{place.name}から。管轄の{receiving.name}が受け付けます（登録先は{home.name}）。",
                f"From {place.name_en}. {receiving.name} has jurisdiction there and receives it "
                f"(registered with {home.name}).")
    if outcome is Outcome.OUT_OF_AREA and call_hq:
        contact = "・".join(f"{label} {number}" for label, number in
                           (("電話", call_hq.phone), ("FAX", call_hq.fax)) if number)
        contact_en = ", ".join(f"{label} {number}" for label, number in
                               (("phone", call_hq.phone), ("fax", call_hq.fax)) if number)
        return (f"管轄外：{place.name}を管轄する{call_hq.name}はNET119を使っていません。"
                f"登録先の{home.name}が受け付け、{call_hq.name}"
                f"{f'（{contact}）' if contact else ''}に連絡します。",
                f"Out of area (管轄外): {call_hq.name}, which has jurisdiction over "
                f"{place.name_en}, does not use NET119. {home.name} receives it and passes it on "
                f"to {call_hq.name}{f' ({contact_en})' if contact_en else ''}.")
    if outcome is Outcome.OUT_OF_AREA:
        return (f"管轄外：{place.name}を管轄する消防本部が登録されていません。"
                f"登録先の{home.name}が受け付けます。",
                f"Out of area (管轄外): no fire headquarters is registered for {place.name_en}. "
                f"{home.name} receives it.")
    if outcome is Outcome.AT_SEA:
        return (f"海の上の位置です。海の事故・事件は{CALL_118}へ。"
                f"登録先の{home.name}が受け付けます。",
                f"The location is at sea. For emergencies at sea call {CALL_118_EN}. "
                f"{home.name} receives it.")
    if outcome is Outcome.OUTSIDE_JAPAN:
        return (f"日本国外の位置です。登録先の{home.name}が受け付けます。",
                f"The location is outside Japan. {home.name} receives it.")
    return (f"位置情報がありません。登録先の{home.name}が受け付けます。",
            f"No location was sent. {home.name} receives it.")


def _distance(metres: float) -> tuple[str, str]:
    """An accuracy as people say it, in Japanese and English: 約300 m, 約1.5 km, 100 km以上."""
    if metres >= ACCURACY_WORDS_CAP_M:
        # A client can send any finite number; the note must stay a sentence.
        return f"{ACCURACY_WORDS_CAP_M // 1000:.0f} km以上", f"over {ACCURACY_WORDS_CAP_M // 1000:.0f} km"
    if metres < 1000:
        text = f"{metres:.0f} m"
    else:
        text = f"{metres / 1000:.1f} km".replace(".0 km", " km")
    return f"約{text}", f"about {text}"
