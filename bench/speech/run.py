"""Benchmark the proxy-call card's speech: cold synthesis per character, cache hits, bytes per second.

Run from the project root: python bench/speech/run.py
"""

import os
import statistics
import tempfile
import time
from pathlib import Path

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
TARGET_COLD_S = 0.5
TARGET_HIT_S = 0.010


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


def bench(lang: str, texts: list[str], config: SpeechConfig) -> None:
    """Print cold and cached timings and the audio size for texts in lang."""
    cold = [timed(text, lang, config) for text in texts]
    hits = sorted(timed(text, lang, config)[1] for text in texts for _ in range(5))
    assert not any(result.cached for result, _ in cold)

    chars = sum(map(len, texts))
    cold_s = [seconds for _, seconds in cold]
    audio_s = sum(result.duration for result, _ in cold)
    audio_bytes = sum(len(result.mp3) for result, _ in cold)

    lengths = f"{min(map(len, texts))}-{max(map(len, texts))}"
    print(f"\n{lang}: engine {cold[0][0].engine}, {len(texts)} cards of {lengths} characters")
    print(
        f"  cold: {sum(cold_s) * 1000 / chars:.2f} ms per character, "
        f"{sum(cold_s) / audio_s * 1000:.0f} ms per second of speech"
    )
    print(
        f"  cold, per card: median {statistics.median(cold_s) * 1000:.0f} ms, "
        f"max {max(cold_s) * 1000:.0f} ms {verdict(max(cold_s), TARGET_COLD_S)}"
    )
    print(
        f"  cache hit ({len(hits)}): median {statistics.median(hits) * 1000:.2f} ms, "
        f"max {hits[-1] * 1000:.2f} ms {verdict(hits[-1], TARGET_HIT_S)}"
    )
    print(
        f"  audio: {audio_bytes / audio_s:.0f} bytes per second of speech, "
        f"{audio_s / len(texts):.1f} s and {audio_bytes / len(texts) / 1000:.0f} KB per card"
    )


def main() -> None:
    print(f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as cache:
        config = SpeechConfig(cache_dir=Path(cache))
        _, first = timed("準備しています。", "ja", config)
        print(f"first Japanese call in a process (dictionary, voices): {first * 1000:.0f} ms")
        bench("ja", japanese_cards(), config)
        try:
            bench("en", english_cards(), config)
        except NoEngineAvailable as error:
            print(f"\nen: {error}")


if __name__ == "__main__":
    main()
