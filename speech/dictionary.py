"""User dictionary of local readings (place names), from CSV files of surface,reading."""

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DICTIONARY = Path(__file__).with_name("hokkaido.csv")

_KATAKANA = re.compile(r"[ァ-ヴー]+")
_SMALL_KANA = set("ァィゥェォャュョヮ")
_VOWELS = {
    vowel: set(kana)
    for vowel, kana in {
        "a": "アカサタナハマヤラワガザダバパァャヮ",
        "i": "イキシチニヒミリギジヂビピィ",
        "u": "ウクスツヌフムユルグズヅブプゥュヴ",
        "e": "エケセテネヘメレゲゼデベペェ",
        "o": "オコソトノホモヨロヲゴゾドボポォョ",
    }.items()
}


@dataclass(frozen=True)
class UserDictionary:
    """Surface → katakana reading pairs; later files override earlier ones."""

    entries: tuple[tuple[str, str], ...]

    @classmethod
    def load(cls, paths) -> "UserDictionary":
        """Read CSV files with a `surface,reading` header; readings in katakana or hiragana."""
        entries: dict[str, str] = {}
        for path in paths:
            for line, surface, reading in _rows(Path(path)):
                reading = _to_katakana(reading)
                if not _KATAKANA.fullmatch(reading):
                    raise ValueError(f"{path}:{line}: reading {reading!r} is not kana")
                if "," in surface:
                    raise ValueError(f"{path}:{line}: surface {surface!r} has a comma")
                entries[surface] = reading
        return cls(tuple(sorted(entries.items())))

    @property
    def digest(self) -> str:
        """A hash of the entries, so that cached audio changes when a reading does."""
        text = "\n".join(f"{surface},{reading}" for surface, reading in self.entries)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def mecab_csv(self) -> str:
        """The entries as rows of Open JTalk's naist-jdic dictionary format."""
        rows = []
        for surface, reading in self.entries:
            pron = _pronunciation(reading)
            morae = sum(ch not in _SMALL_KANA for ch in pron)
            # Left/right ids are left empty for mecab-dict-index to fill in; the low cost makes
            # the whole place name win over the system dictionary's segmentation.
            rows.append(f"{surface},,,1,名詞,固有名詞,地域,一般,*,*,{surface},{reading},{pron},0/{morae},*\n")
        return "".join(rows)


def _rows(path: Path):
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Japanese Excel saves CSV as Shift_JIS, and HQ staff will edit these files in Excel.
        text = raw.decode("cp932")
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or not {"surface", "reading"} <= set(reader.fieldnames):
        raise ValueError(f"{path}: the first line must be the header surface,reading")
    for row in reader:
        surface, reading = (row["surface"] or "").strip(), (row["reading"] or "").strip()
        if surface and not surface.startswith("#"):
            yield reader.line_num, surface, reading


def _to_katakana(text: str) -> str:
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in text)


def _pronunciation(reading: str) -> str:
    """Spell long vowels as Open JTalk's dictionary does (チョウ → チョー, セイ → セー)."""
    pron = ""
    for ch in reading:
        before = pron[-1:]
        if (ch == "ウ" and before in _VOWELS["o"] | _VOWELS["u"]) or (ch == "イ" and before in _VOWELS["e"]):
            pron += "ー"
        else:
            pron += ch
    return pron
