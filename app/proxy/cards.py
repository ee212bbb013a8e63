"""What the proxy-call card says (SPEC §5): who, what happened, where, and the case number.

The words a bystander hears come from ``speech.card``; this module only decides what goes
into them, from the resident's profile, their report, or the place they are at now.
"""
from dataclasses import dataclass

from speech.card import card_text

from .. import routing
from ..forms import MAX_PLACE_TEXT
from ..models import ReportEvent

LANGS = ("ja", "en")
# BCP 47 tags for the browser's own speech synthesis, when the server has no voice.
VOICE_TAGS = {"ja": "ja-JP", "en": "en-US"}
# Where the card's place comes from: the home address, the place here and now, or no place.
PLACE_CHOICES = ("home", "here", "none")
# The card speaks of three kinds; "type unknown" still asks for help.
SPOKEN_KINDS = {"fire": "fire", "ambulance": "ambulance", "other": "other", "unknown": "other"}
# What the card shows under 何があったか, as it says it: 「種別不明」 and 「その他」 are the
# console's words, and would tell a bystander nothing is wrong.
KIND_WORDS = {"fire": ("火事", "Fire"), "ambulance": ("救急", "Ambulance"), "other": ("助けが必要です", "I need help")}
# Words in a registered disability that mean the resident can hear but not speak.
_SPEECH_ONLY = ("言語", "音声機能", "発声", "発話", "そしゃく")


@dataclass(frozen=True)
class Place:
    """Where help is needed, for the Japanese and the English card."""

    ja: str
    # An English voice skips Japanese text, so a Japanese address is read only in Japanese.
    en: str


@dataclass(frozen=True)
class ProxyCard:
    """One card: its facts, and the query string that shows the same card again."""

    name: str
    name_kana: str
    deaf: bool
    kind: str | None
    place: Place | None
    case_number: str | None
    query: dict

    @property
    def kind_words(self):
        """(Japanese, English) for what happened, or None when the card does not say."""
        return KIND_WORDS.get(SPOKEN_KINDS.get(self.kind))

    def text(self, lang):
        """The words spoken in ``lang`` ("ja" or "en")."""
        place = self.place and (self.place.ja if lang == "ja" else self.place.en)
        return card_text(lang, name=self.name, kind=SPOKEN_KINDS.get(self.kind), place=place,
                         case_number=self.case_number, deaf=self.deaf)


def is_deaf(resident):
    """False only when the registered disability is about speaking, not hearing."""
    disability = resident.disability_type or ""
    return "聴" in disability or not any(word in disability for word in _SPEECH_ONLY)


def coordinates_ja(lat, lon):
    """Coordinates as a Japanese caller reads them out."""
    return f"北緯{lat:.5f}、東経{lon:.5f}"


def coordinates_en(lat, lon):
    """Coordinates as an English caller reads them out."""
    return f"latitude {lat:.5f}, longitude {lon:.5f}"


def _join(*parts, sep="、"):
    return sep.join(part for part in parts if part)


def _in_english(text):
    # An English voice skips a place with Japanese in it; keep the coordinates it can read.
    return text if text and text.isascii() else ""


def home_place(resident):
    """The registered home address."""
    if not resident.address:
        return None
    return Place(resident.address, resident.address)


def here_place(lat=None, lon=None, landmark=""):
    """The place here and now: municipality and coordinates from a fix, and a typed landmark."""
    landmark = (landmark or "").strip()[:MAX_PLACE_TEXT]
    if lat is None or lon is None:
        return Place(landmark, landmark) if landmark else None
    municipality = routing.locate(lat, lon)
    return Place(
        _join(municipality and municipality.name, landmark, coordinates_ja(lat, lon)),
        _join(municipality and municipality.name_en, _in_english(landmark), coordinates_en(lat, lon),
              sep=", "))


def report_place(report):
    """The place a report is about: for one sent from where the resident is, the newest position."""
    if report.place_kind != "current":
        return Place(report.place_label, report.place_label) if report.place_label else None
    latest = _latest_location(report)
    if latest is not None:
        # The report keeps its first position; the phone has sent newer ones since (SPEC §3.3),
        # and the bystander is beside the resident where they are now.
        return here_place(latest.data["lat"], latest.data["lon"], report.place_label)
    if report.lat is None:
        return here_place(landmark=report.place_label)
    municipality = routing.municipalities().get(report.municipality_code)
    return Place(
        _join(report.municipality_name, report.place_label, coordinates_ja(report.lat, report.lon)),
        _join(municipality and municipality.name_en, _in_english(report.place_label),
              coordinates_en(report.lat, report.lon), sep=", "))


def _latest_location(report):
    return (ReportEvent.select().where((ReportEvent.report == report) & (ReportEvent.kind == "location"))
            .order_by(ReportEvent.seq.desc()).first())


def card_for(resident, *, report=None, place_choice=None, kind=None, fix=None, landmark=""):
    """The card for ``resident``: about ``report`` if given, at the chosen place.

    ``place_choice`` is one of PLACE_CHOICES, or None for the report's own place (home
    without a report); ``kind`` names the emergency when there is no report yet.
    """
    query = {}
    if report is not None:
        query["case"] = report.case_number
        kind = report.kind
    elif kind in SPOKEN_KINDS:
        query["kind"] = kind
    else:
        kind = None
    if place_choice is None:
        place_choice = "report" if report is not None else "home"
    if place_choice == "report":
        place = report_place(report)
    elif place_choice == "home":
        place, query["place"] = home_place(resident), "home"
    elif place_choice == "here":
        place, query["place"] = _here(fix, landmark, query), "here"
    else:
        place, query["place"] = None, "none"
    return ProxyCard(name=resident.name, name_kana=resident.name_kana, deaf=is_deaf(resident),
                     kind=kind, place=place, case_number=report and report.case_number, query=query)


def _here(fix, landmark, query):
    # Rounded as the query string carries it, so the page and its audio say the same.
    lat = lon = None
    if fix is not None:
        lat, lon = round(fix.lat, 5), round(fix.lon, 5)
        query["lat"], query["lon"] = f"{lat:.5f}", f"{lon:.5f}"
    landmark = (landmark or "").strip()[:MAX_PLACE_TEXT]
    if landmark:
        query["landmark"] = landmark
    return here_place(lat, lon, landmark)
