"""The words of the proxy-call card (SPEC §5), which a bystander reads and hears."""

import re

# Kana, CJK ideographs and full-width forms: text an English voice cannot read out.
_JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")

_SENTENCES = {
    "ja": {
        "deaf": "私は耳が聞こえません。",
        "mute": "私は話すことができません。",
        "call": "代わりに119番に電話してください。",
        "fire": "火事です。",
        "ambulance": "救急です。",
        "other": "助けが必要です。",
        "place": "場所は{}です。",
        "name": "名前は{}です。",
        "case": "通報番号は{}です。",
    },
    "en": {
        "deaf": "I am deaf.",
        "mute": "I cannot speak.",
        # Spaced digits: an English voice reads "119" as "one hundred nineteen".
        "call": "Please call 1 1 9 for me.",
        "fire": "There is a fire.",
        "ambulance": "I need an ambulance.",
        "other": "I need help.",
        "place": "The place is {}.",
        "name": "My name is {}.",
        "case": "The case number is {}.",
        "in_japanese": "The details are written in Japanese on this screen.",
    },
}
KINDS = ("fire", "ambulance", "other")


def card_text(
    lang: str,
    *,
    name: str | None = None,
    kind: str | None = None,
    place: str | None = None,
    case_number: str | None = None,
    deaf: bool = True,
) -> str:
    """The card's message in lang ("ja" or "en"): short plain sentences, the case number digit by digit."""
    if kind not in (*KINDS, None):
        raise ValueError(f"kind must be one of {KINDS} or None, not {kind!r}")
    say = _SENTENCES[lang]
    sentences = [say["deaf" if deaf else "mute"], say["call"]]
    if kind:
        sentences.append(say[kind])
    left_out = False
    for field, value in (("place", place), ("name", name)):
        if not value:
            continue
        if lang == "en" and _JAPANESE.search(value):
            # An English voice cannot read a Japanese name or address; point to the Japanese text.
            left_out = True
        else:
            sentences.append(say[field].format(value))
    if case_number:
        sentences.append(say["case"].format(_digit_by_digit(case_number, lang)))
    if left_out:
        sentences.append(say["in_japanese"])
    return "".join(sentences) if lang == "ja" else " ".join(sentences)


def fixed_sentences(lang: str) -> tuple[str, ...]:
    """The card's sentences that carry no personal detail, so that many cards share them."""
    return tuple(sentence for sentence in _SENTENCES[lang].values() if "{}" not in sentence)


def _digit_by_digit(number: str, lang: str) -> str:
    # Open JTalk already reads a long run of digits one by one; an English voice needs spaces.
    if lang == "ja":
        return number
    return " - ".join(" ".join(group) for group in number.split("-"))
