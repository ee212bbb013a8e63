"""gTTS against a fake Google endpoint on 127.0.0.1: success, failure, timeout and the circuit breaker."""

import time

import pytest

import speech
from speech import SpeechConfig


@pytest.fixture
def google_first(fake_google, tmp_path) -> SpeechConfig:
    """gTTS enabled and tried first, Open JTalk after it; a short timeout and cool-down."""
    return SpeechConfig(
        cache_dir=tmp_path / "speech",
        engines={"ja": ["gtts", "openjtalk"], "en": ["gtts"]},
        gtts_url=fake_google.url,
        gtts_timeout=0.5,
        gtts_cooldown=1.0,
    )


def test_gtts_speaks_when_configured(fake_google, google_first):
    result = speech.synthesize("火事です。", "ja", config=google_first)

    assert (result.engine, result.voice, result.cached) == ("gtts", "google-translate-ja", False)
    assert result.mp3 == fake_google.answers[0]
    assert result.duration == pytest.approx(0.4, abs=0.1)
    assert fake_google.requests == [
        {
            "path": "/_/TranslateWebserverUi/data/batchexecute",
            "rpc": "jQ1olc",
            "text": "火事です。",
            "lang": "ja",
        }
    ]


def test_long_text_goes_in_several_requests(fake_google, google_first):
    text = "I am deaf. Please call 1 1 9 for me. " * 4

    result = speech.synthesize(text, "en", config=google_first)

    # gTTS cuts the text at sentence ends to keep each request within Google's 100 characters.
    texts = [request["text"] for request in fake_google.requests]
    assert texts[:2] == ["I am deaf", "Please call 1 1 9 for me"] and len(texts) == 8
    assert result.mp3 == b"".join(fake_google.answers)


def test_cached_gtts_audio_needs_no_request(fake_google, google_first):
    speech.synthesize("火事です。", "ja", config=google_first)

    again = speech.synthesize("火事です。", "ja", config=google_first)

    assert again.cached and again.engine == "gtts"
    assert len(fake_google.requests) == 1


@pytest.mark.parametrize("mode", ["error", "no-audio", "slow"])
def test_failure_falls_back_to_open_jtalk(fake_google, google_first, mode):
    fake_google.mode = mode
    started = time.monotonic()

    result = speech.synthesize("火事です。", "ja", config=google_first)

    assert result.engine == "openjtalk"
    assert len(fake_google.requests) == 1
    assert time.monotonic() - started < google_first.gtts_timeout + 1.5


def test_unreachable_google_costs_one_request_until_the_cool_down_ends(fake_google, google_first):
    fake_google.mode = "slow"
    speech.synthesize("火事です。", "ja", config=google_first)

    started = time.monotonic()
    results = [speech.synthesize(f"{n}階です。", "ja", config=google_first) for n in range(1, 6)]

    assert [result.engine for result in results] == ["openjtalk"] * 5
    assert len(fake_google.requests) == 1  # the breaker is open: no request left the process
    assert time.monotonic() - started < 5 * google_first.gtts_timeout

    fake_google.mode = "ok"
    time.sleep(google_first.gtts_cooldown)
    trial = speech.synthesize("救急です。", "ja", config=google_first)
    after = speech.synthesize("通報します。", "ja", config=google_first)

    assert (trial.engine, after.engine) == ("gtts", "gtts")
    assert len(fake_google.requests) == 3


def test_english_without_a_fallback_has_no_engine_while_google_fails(fake_google, google_first):
    fake_google.mode = "error"

    with pytest.raises(speech.NoEngineAvailable, match="gtts"):
        speech.synthesize("I am deaf.", "en", config=google_first)


def test_default_config_never_contacts_google(fake_google, tmp_path):
    config = SpeechConfig(cache_dir=tmp_path / "speech", gtts_url=fake_google.url)

    speech.synthesize("私は耳が聞こえません。", "ja", config=config)
    try:
        speech.synthesize("I am deaf.", "en", config=config)
    except speech.NoEngineAvailable:
        pass  # without espeak-ng there is no offline English voice, and still no request to Google

    assert fake_google.requests == []
