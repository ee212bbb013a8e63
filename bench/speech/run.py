"""Benchmark the proxy-call card's speech: cold synthesis per character, cache hits, bytes per second.

Run from the project root: python bench/speech/run.py
"""

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import speech
from speech import NoEngineAvailable, SpeechConfig
from speech.card import card_text

NAMES = ["千歳太郎", "佐藤花子", "鈴木一郎", "高橋美咲", "田中健", "伊藤由美子", "渡辺翔太", "山本さくら"]
PLACES = [
    "北海道千歳市東雲町2丁目",
    "北海道千歳市北斗3丁目5-12",
    "北海道千歳市里美1丁目",
    "北海道千歳市勇舞8丁目",
    "北海道千歳市朝日町6丁目",
    "北海道千歳市千代田町7丁目",
    "北海道千歳市美々 新千歳空港",
    "北海道恵庭市恵み野西2丁目",
    "北海道札幌市豊平区月寒東3条",
    "北海道千歳市、北緯42.82度、東経141.65度の付近",
]
KINDS = ["ambulance", "fire", "other", None]
# Landmarks a resident types on the card, cut so that the whole card is exactly 120 characters.
LANDMARKS = [
    "千歳駅東口のセブンイレブンの駐車場の奥にある白い軽自動車の横、青い屋根の家の前",
    "新千歳空港国内線ターミナル二階の出発ロビー、北ウイングの保安検査場の近くのベンチ",
    "支笏湖温泉の駐車場から湖畔へ下りる遊歩道の途中にある赤い橋のたもとの東屋の中",
]
TARGET_COLD_S = 0.5
TARGET_HIT_S = 0.010
# Each card is synthesised from scratch this many times: a busy machine slows some trials, not all.
TRIALS = 3


def japanese_cards() -> list[str]:
    """Twenty typical cards (at most 120 characters): generic, home and open-case versions."""
    return [
        card_text(
            "ja",
            name=NAMES[n % len(NAMES)] if n % 5 else None,
            kind=KINDS[n % len(KINDS)],
            place=PLACES[(n * 3) % len(PLACES)] if n % 5 else None,
            case_number=f"2611{n + 10:02d}-{n * 37 % 10000:04d}" if n % 2 else None,
            deaf=n % 3 != 0,
        )
        for n in range(20)
    ]


def longest_cards() -> list[str]:
    """Cards of exactly 120 characters (the most a typical card holds) with a long typed place."""
    cards = []
    for n, landmark in enumerate(LANDMARKS):
        place = f"千歳市、{landmark}、北緯42.8{n}345、東経141.65432"
        text = card_text("ja", name="伊藤由美子", kind="ambulance", place=place, case_number="261123-0481")
        cut = len(text) - 120
        assert cut >= 0, "a landmark is too short to fill the card"
        place = f"千歳市、{landmark[: len(landmark) - cut]}、北緯42.8{n}345、東経141.65432"
        cards.append(card_text("ja", name="伊藤由美子", kind="ambulance", place=place, case_number="261123-0481"))
    return cards


def english_cards() -> list[str]:
    """Twenty English cards (names and places in Japanese are left to the Japanese text)."""
    return [
        card_text("en", kind=KINDS[n % len(KINDS)], place="千歳市", case_number=f"2611{n + 10:02d}-{n:04d}")
        for n in range(20)
    ]


def timed(text: str, lang: str, config: SpeechConfig) -> tuple[speech.Speech, float]:
    """Synthesise and return the result with the wall-clock seconds it took."""
    started = time.perf_counter()
    result = speech.synthesize(text, lang, config=config)
    return result, time.perf_counter() - started


def verdict(seconds: float, target: float) -> str:
    """Whether a measured time meets its target."""
    return f"[target < {target * 1000:.0f} ms: {'met' if seconds < target else 'NOT met'}]"


def cold_trials(text: str, lang: str, config: SpeechConfig) -> tuple[speech.Speech, list[float], list[float]]:
    """Synthesise text from scratch TRIALS times: its result, and the wall and CPU seconds of each trial."""
    wall, cpu = [], []
    for trial in range(TRIALS):
        started = time.process_time()
        result, seconds = timed(text, lang, config)
        cpu.append(time.process_time() - started)
        wall.append(seconds)
        assert not result.cached
        if trial < TRIALS - 1:
            # Forget the card's audio, so that the next trial is as cold as the first.
            (config.cache_dir / "audio" / f"{result.key}.mp3").unlink()
    return result, wall, cpu


def bench(lang: str, texts: list[str], config: SpeechConfig, label: str = "") -> None:
    """Print cold and cached timings and the audio size for texts in lang."""
    trials = [cold_trials(text, lang, config) for text in texts]
    hits = sorted(timed(text, lang, config)[1] for text in texts for _ in range(5))

    chars = sum(map(len, texts))
    first = [wall[0] for _, wall, _ in trials]
    best = [min(wall) for _, wall, _ in trials]
    cpu = [min(cpu) for _, _, cpu in trials]
    audio_s = sum(result.duration for result, _, _ in trials)
    audio_bytes = sum(len(result.mp3) for result, _, _ in trials)

    lengths = f"{min(map(len, texts))}-{max(map(len, texts))}"
    print(f"\n{lang}{label}: engine {trials[0][0].engine}, {len(texts)} cards of {lengths} characters")
    print(
        f"  cold: {sum(best) * 1000 / chars:.2f} ms per character, "
        f"{sum(best) / audio_s * 1000:.0f} ms per second of speech"
    )
    for name, seconds in ((f"best of {TRIALS}", best), ("first trial", first)):
        print(
            f"  cold, per card ({name}): median {statistics.median(seconds) * 1000:.0f} ms, "
            f"max {max(seconds) * 1000:.0f} ms {verdict(max(seconds), TARGET_COLD_S)}"
        )
    # CPU time of all threads: what a card costs, whatever else the machine is doing.
    print(
        f"  CPU per card, all threads: median {statistics.median(cpu) * 1000:.0f} ms, "
        f"max {max(cpu) * 1000:.0f} ms (on {os.cpu_count()} cores, wall time can be as low as max / {os.cpu_count()})"
    )
    print(
        f"  cache hit ({len(hits)}): median {statistics.median(hits) * 1000:.2f} ms, "
        f"max {hits[-1] * 1000:.2f} ms {verdict(hits[-1], TARGET_HIT_S)}"
    )
    print(
        f"  audio: {audio_bytes / audio_s:.0f} bytes per second of speech, "
        f"{audio_s / len(texts):.1f} s and {audio_bytes / len(texts) / 1000:.0f} KB per card"
    )


def stages(text: str) -> None:
    """Where one card's cold synthesis time goes, each stage run alone on one core."""
    import lameenc
    import pyopenjtalk
    from speech import mp3, openjtalk

    started = time.perf_counter()
    labels = [pyopenjtalk.extract_fullcontext(s, predict_nani=False) for s in openjtalk._SENTENCE_END.split(text) if s]
    front = time.perf_counter() - started
    phrases = [phrase for sentence in labels for phrase in openjtalk._phrases(sentence)]
    started = time.perf_counter()
    samples = mp3.pcm16(np.concatenate([openjtalk._voice(phrase) for phrase in phrases]))
    voicing = time.perf_counter() - started
    seconds = len(samples) / 48000

    def encoding(pcm, rate, quality):
        encoder = lameenc.Encoder()
        encoder.set_channels(1)
        encoder.set_bit_rate(32)
        encoder.set_in_sample_rate(rate)
        encoder.set_out_sample_rate(24000)
        encoder.set_quality(quality)
        started = time.perf_counter()
        encoder.encode(pcm.tobytes()) + encoder.flush()
        return f"{(time.perf_counter() - started) * 1000:.0f} ms"

    print(f"\nwhere the time goes, longest card ({len(text)} characters, {seconds:.1f} s of speech), one core:")
    print(f"  Open JTalk front end (text to labels): {front * 1000:.0f} ms")
    print(f"  HTS voicing ({len(phrases)} phrases): {voicing * 1000:.0f} ms")
    print(
        f"  MP3 at LAME quality 5 / 7 (resampling 48 to 24 kHz inside LAME): "
        f"{encoding(samples, 48000, 5)} / {encoding(samples, 48000, 7)}; "
        f"already at 24 kHz: {encoding(samples[::2].copy(), 24000, 5)} / {encoding(samples[::2].copy(), 24000, 7)}"
    )


def main() -> None:
    print(f"{os.cpu_count()} CPUs")
    cards = japanese_cards() + longest_cards()
    with tempfile.TemporaryDirectory() as cache:
        # Truly cold: nothing voiced before, not even the sentences every card shares.
        config = SpeechConfig(cache_dir=Path(cache) / "cold", kept_sentences=())
        _, first = timed("準備しています。", "ja", config)
        print(f"first Japanese call in a process (dictionary, voices): {first * 1000:.0f} ms")
        stages(max(cards, key=len))
        bench("ja", cards, config, ", truly cold (shared sentences voiced too)")

        # What a resident gets: the shared sentences were voiced by an earlier card (or by
        # speech.prepare) and kept on disk; the card's own name, place and case number are new.
        config = SpeechConfig(cache_dir=Path(cache) / "warm")
        speech.prepare("ja", config=config)
        bench("ja", cards, config, ", shared sentences kept")
        try:
            bench("en", english_cards(), SpeechConfig(cache_dir=Path(cache) / "en"))
        except NoEngineAvailable as error:
            print(f"\nen: {error}")


if __name__ == "__main__":
    main()
