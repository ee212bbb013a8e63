"""The proxy-call card's words in Japanese and English."""

import pytest

from speech.card import card_text
from speech.openjtalk import OpenJTalkEngine


def test_japanese_card_with_every_field():
    text = card_text(
        "ja", name="千歳太郎", kind="ambulance", place="北海道千歳市東雲町2丁目", case_number="261125-0007"
    )

    assert text == (
        "私は耳が聞こえません。代わりに119番に電話してください。救急です。"
        "場所は北海道千歳市東雲町2丁目です。名前は千歳太郎です。通報番号は261125-0007です。"
    )


def test_generic_card_for_a_speech_impaired_resident():
    assert card_text("ja", deaf=False) == "私は話すことができません。代わりに119番に電話してください。"
    assert card_text("en", deaf=False) == "I cannot speak. Please call 1 1 9 for me."


@pytest.mark.parametrize(
    ("kind", "ja", "en"),
    [("fire", "火事です。", "There is a fire."), ("other", "助けが必要です。", "I need help.")],
)
def test_kind_of_emergency(kind, ja, en):
    assert ja in card_text("ja", kind=kind)
    assert en in card_text("en", kind=kind)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        card_text("ja", kind="police")


def test_english_card_reads_the_case_number_digit_by_digit():
    text = card_text(
        "en", kind="fire", place="Chitose Station", name="Taro Chitose", case_number="261125-0007"
    )

    assert text == (
        "I am deaf. Please call 1 1 9 for me. There is a fire. The place is Chitose Station. "
        "My name is Taro Chitose. The case number is 2 6 1 1 2 5 - 0 0 0 7."
    )


def test_english_card_points_to_japanese_it_cannot_read():
    text = card_text("en", kind="ambulance", place="北海道千歳市東雲町2丁目", name="千歳太郎")

    assert text == (
        "I am deaf. Please call 1 1 9 for me. I need an ambulance. "
        "The details are written in Japanese on this screen."
    )


def test_open_jtalk_reads_the_case_number_digit_by_digit(config):
    spoken = OpenJTalkEngine(config).reading(card_text("ja", case_number="261125-0007"))

    assert spoken.endswith("ツーホーバンゴーワニーロクイチイチニーゴー−ゼロゼロゼロナナデス。")
