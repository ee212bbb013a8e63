"""Sentences every card shares are voiced once and kept; long sentences are voiced phrase by phrase."""

import numpy as np
import pytest

import speech
from speech import SpeechConfig, openjtalk
from speech.card import card_text, fixed_sentences

CARD = card_text("ja", name="千歳太郎", kind="fire", place="北海道千歳市東雲町2丁目")


@pytest.fixture
def voiced(monkeypatch):
    """The phrases Open JTalk's vocoder was asked to voice, as readable phonemes."""
    phrases = []
    real = openjtalk._voice

    def counting(labels):
        phrases.append("".join(openjtalk._PHONEME.search(label)[1] for label in labels))
        return real(labels)

    monkeypatch.setattr(openjtalk, "_voice", counting)
    return phrases


def test_shared_sentences_are_kept_and_not_voiced_again(tmp_path, voiced):
    config = SpeechConfig(cache_dir=tmp_path)
    speech.synthesize(CARD, config=config)
    first = len(voiced)
    voiced.clear()

    other = card_text("ja", name="佐藤花子", kind="fire", place="北海道千歳市北斗3丁目")
    speech.synthesize(other, config=config)

    # Only the name and the place are new: 私は耳が…, 代わりに…, 火事です。 come from the disk.
    assert first == 5
    assert len(voiced) == 2
    assert all("kaji" not in phrase for phrase in voiced)


def test_kept_sentences_sound_exactly_as_voiced_from_scratch(tmp_path):
    kept = SpeechConfig(cache_dir=tmp_path / "kept")
    speech.prepare("ja", config=kept)
    scratch = SpeechConfig(cache_dir=tmp_path / "scratch", kept_sentences=())

    assert speech.synthesize(CARD, config=kept).mp3 == speech.synthesize(CARD, config=scratch).mp3
    assert len(list((tmp_path / "kept" / "sentences").glob("*.pcm"))) == len(fixed_sentences("ja"))
    assert not (tmp_path / "scratch" / "sentences").exists()


def test_prepare_leaves_a_card_only_its_own_sentences_to_voice(tmp_path, voiced):
    config = SpeechConfig(cache_dir=tmp_path)
    speech.prepare("ja", config=config)
    voiced.clear()

    speech.synthesize(card_text("ja", kind="ambulance", case_number="261128-0042"), config=config)

    # 通報番号は261128-0042です。 alone, in two phrases (a pause at the hyphen).
    assert "".join(voiced).startswith("siltsuuhoobaNgoowa")
    assert "kyuukyuu" not in "".join(voiced)


def test_damaged_kept_sentence_is_voiced_again(tmp_path, voiced):
    config = SpeechConfig(cache_dir=tmp_path)
    speech.prepare("ja", config=config)
    for kept in (tmp_path / "sentences").glob("*.pcm"):
        kept.write_bytes(kept.read_bytes()[:-1])
    voiced.clear()

    result = speech.synthesize("私は耳が聞こえません。", config=config)

    assert len(voiced) == 1
    assert result.duration > 1


def test_long_sentence_is_voiced_phrase_by_phrase_keeping_every_label():
    sentence = "場所は千歳市、千歳駅東口の駐車場、北緯42.82345、東経141.65432です。"
    labels = openjtalk.pyopenjtalk.extract_fullcontext(sentence)

    phrases = openjtalk._phrases(labels)

    assert len(phrases) == 4
    assert [label for phrase in phrases for label in phrase] == labels
    assert all(openjtalk._PHONEME.search(phrase[0])[1] == "pau" for phrase in phrases[1:])


def test_phrases_join_in_near_silence():
    sentence = "場所は千歳市、千歳駅東口の駐車場、北緯42.82345、東経141.65432です。"
    phrases = openjtalk._phrases(openjtalk.pyopenjtalk.extract_fullcontext(sentence))

    voiced = [openjtalk._voice(phrase) for phrase in phrases]

    # The last and first millisecond of each join, against a voice at thousands: no click.
    assert all(np.abs(samples[-48:]).max() < 300 for samples in voiced[:-1])
    assert all(np.abs(samples[:48]).max() < 300 for samples in voiced[1:])
    assert all(np.sqrt(np.mean(samples ** 2)) > 1000 for samples in voiced)
