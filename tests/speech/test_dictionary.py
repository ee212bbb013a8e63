"""The user dictionary of local readings: it changes what Open JTalk says, and the cache key."""

import pytest

import speech
from speech import SpeechConfig
from speech.dictionary import DEFAULT_DICTIONARY, UserDictionary
from speech.openjtalk import OpenJTalkEngine


def reading(config, text):
    return OpenJTalkEngine(config).reading(text)


def test_default_dictionary_reads_chitose_places(config, tmp_path):
    bare = SpeechConfig(cache_dir=tmp_path / "bare", dictionaries=())

    assert reading(bare, "千歳市東雲町") == "チトセシアズモマチ"
    assert reading(config, "千歳市東雲町") == "チトセシシノノメチョー"
    assert reading(config, "千歳市勇舞") == "チトセシユーマイ"
    assert reading(config, "札幌市豊平区月寒") == "サッポロシトヨヒラクツキサム"


def test_hq_dictionary_extends_and_overrides_the_default(tmp_path):
    hq = tmp_path / "hq.csv"
    hq.write_text("surface,reading\n東雲町,とううんちょう\n美笛,ビブエ\n", encoding="utf-8")
    config = SpeechConfig(cache_dir=tmp_path / "speech", dictionaries=(DEFAULT_DICTIONARY, hq))

    assert reading(config, "東雲町") == "トーウンチョー"
    assert reading(config, "美笛") == "ビブエ"
    assert reading(config, "勇舞") == "ユーマイ"


def test_dictionary_saved_by_japanese_excel_is_read(tmp_path):
    hq = tmp_path / "hq.csv"
    hq.write_bytes("surface,reading\r\n美笛,ビブエ\r\n".encode("cp932"))

    assert UserDictionary.load([hq]).entries == (("美笛", "ビブエ"),)


@pytest.mark.parametrize(
    "content",
    [
        "surface,reading\n東雲町,shinonome\n",
        'surface,reading\n"東雲町,2丁目",シノノメチョウニチョウメ\n',
        "name,kana\n東雲町,シノノメチョウ\n",
    ],
    ids=["reading not kana", "comma in surface", "wrong header"],
)
def test_malformed_dictionary_is_refused(tmp_path, content):
    hq = tmp_path / "hq.csv"
    hq.write_text(content, encoding="utf-8")

    with pytest.raises(ValueError, match="hq.csv"):
        UserDictionary.load([hq])


def test_dictionary_is_part_of_the_cache_key(tmp_path):
    hq = tmp_path / "hq.csv"
    hq.write_text("surface,reading\n東雲町,トウウンチョウ\n", encoding="utf-8")
    default = SpeechConfig(cache_dir=tmp_path / "speech")
    changed = SpeechConfig(cache_dir=tmp_path / "speech", dictionaries=(DEFAULT_DICTIONARY, hq))

    before = speech.synthesize("東雲町", config=default)
    after = speech.synthesize("東雲町", config=changed)

    assert before.key != after.key
    assert not after.cached
    assert after.mp3 != before.mp3
