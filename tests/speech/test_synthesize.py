"""Real synthesis with the offline engines: audible MP3 of a plausible length, small enough to send."""

import shutil
from concurrent.futures import ThreadPoolExecutor

import miniaudio
import numpy as np
import pytest

import speech
from speech import NoEngineAvailable, SpeechConfig
from speech.card import card_text

CARD_JA = card_text("ja", name="千歳太郎", kind="ambulance", place="北海道千歳市東雲町2丁目")
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def decode(mp3: bytes) -> miniaudio.DecodedSoundFile:
    """Decode MP3 bytes at their own rate and channel count."""
    return miniaudio.mp3_read_s16(mp3)


def rms(sound: miniaudio.DecodedSoundFile) -> float:
    """Root mean square of decoded 16-bit samples."""
    return float(np.sqrt(np.mean(np.asarray(sound.samples, dtype=np.float64) ** 2)))


def test_japanese_card_is_audible_mp3_of_plausible_length(config):
    result = speech.synthesize(CARD_JA, "ja", config=config)

    sound = decode(result.mp3)
    assert (result.engine, result.voice, result.cached) == ("openjtalk", "mei_normal", False)
    assert (sound.sample_rate, sound.nchannels) == (24000, 1)
    assert rms(sound) > 500
    assert sound.duration == pytest.approx(result.duration, abs=0.1)
    # Japanese is spoken at roughly 6 to 10 characters a second, with pauses between sentences.
    assert 0.08 * len(CARD_JA) < result.duration < 0.3 * len(CARD_JA)


def test_ten_seconds_of_speech_is_well_under_60_kb(config):
    result = speech.synthesize(CARD_JA, "ja", config=config)

    assert len(result.mp3) / result.duration * 10 < 45_000


def test_speak_to_file_writes_the_mp3(config, tmp_path):
    path = tmp_path / "card.mp3"

    result = speech.speak_to_file("火事です。", path, config=config)

    assert path.read_bytes() == result.mp3
    assert rms(decode(path.read_bytes())) > 500


@needs_espeak
def test_english_card_is_audible_mp3(config):
    text = card_text("en", kind="fire", place="Chitose Station", case_number="261125-0007")

    result = speech.synthesize(text, "en", config=config)

    sound = decode(result.mp3)
    assert (result.engine, result.voice) == ("espeak-ng", "en-us")
    assert (sound.sample_rate, sound.nchannels) == (22050, 1)
    assert rms(sound) > 500
    # English is spoken at roughly 10 to 20 characters a second.
    assert 0.04 * len(text) < result.duration < 0.12 * len(text)


def test_without_espeak_english_has_no_engine(config, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(NoEngineAvailable) as raised:
        speech.synthesize("I am deaf.", "en", config=config)

    assert raised.value.lang == "en"
    assert raised.value.reasons == ["espeak-ng: not installed"]


def test_a_language_without_engines_has_no_engine(config):
    with pytest.raises(NoEngineAvailable, match="no engine is configured"):
        speech.synthesize("Je suis sourd.", "fr", config=config)


def test_empty_text_is_refused(config):
    with pytest.raises(ValueError):
        speech.synthesize("  ", config=config)


def test_unknown_engine_is_refused_in_the_config(tmp_path):
    with pytest.raises(ValueError, match="unknown speech engines"):
        SpeechConfig(cache_dir=tmp_path, engines={"ja": ["voicevox"]})


def test_engine_for_the_wrong_language_is_refused(tmp_path):
    config = SpeechConfig(cache_dir=tmp_path, engines={"en": ["openjtalk"]})

    with pytest.raises(ValueError, match="cannot speak 'en'"):
        speech.synthesize("I am deaf.", "en", config=config)


def test_default_config_keeps_text_off_the_network():
    assert all("gtts" not in names for names in SpeechConfig().engines.values())


def test_concurrent_synthesis_gives_the_same_audio_as_one_at_a_time(config, tmp_path):
    texts = ["火事です。", "救急です。場所は千歳市です。", "私は耳が聞こえません。", "名前は佐藤花子です。"]
    alone = [speech.synthesize(text, config=config).mp3 for text in texts]
    fresh = SpeechConfig(cache_dir=tmp_path / "fresh")

    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        together = list(pool.map(lambda text: speech.synthesize(text, config=fresh), texts))

    assert [result.mp3 for result in together] == alone
    assert not any(result.cached for result in together)
