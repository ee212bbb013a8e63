"""How long the server's event loop stalls while a proxy-call card is voiced.

`net119 serve` is one gevent loop for every socket, so a card voiced in the
loop holds up every chat for as long as it computes. The app moves Open
JTalk's vocoder to native threads (app/offload.py, ``speech.use_executor``).
This measures the longest gap of a 1 ms ticker greenlet while cards are
voiced both ways, in one gevent-patched process: first in the loop (the
baseline), then as the server does it.

Run from the project root: python bench/speech/loop_gap.py [--cards 8]
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402

import speech  # noqa: E402
from app.offload import native_executor  # noqa: E402
from speech.card import card_text  # noqa: E402

PLACES = ["北海道千歳市東雲町2丁目", "北海道千歳市北斗3丁目5-12", "北海道恵庭市恵み野西2丁目",
          "北海道千歳市里美1丁目", "北海道千歳市勇舞8丁目", "北海道千歳市朝日町6丁目",
          "北海道千歳市千代田町7丁目", "北海道札幌市豊平区月寒東3条"]


class Ticker:
    """A greenlet that wakes every millisecond and keeps the longest time between wakes."""

    def __init__(self):
        self.longest = 0.0
        self._greenlet = gevent.spawn(self._run)

    def _run(self):
        last = time.perf_counter()
        while True:
            gevent.sleep(0.001)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    def reset(self):
        gevent.sleep(0.01)
        self.longest = 0.0

    def stop(self):
        self._greenlet.kill()


def texts(count, first):
    """``count`` different cards (new case numbers: nothing comes from the audio cache)."""
    return [card_text("ja", name="千歳太郎", kind="fire", place=PLACES[n % len(PLACES)],
                      case_number=f"261128-{first + n:04d}")
            for n in range(count)]


def measure(ticker, config, cards):
    """Voice ``cards`` one after another; the loop's longest gap (ms) and seconds per card for each."""
    gaps, seconds = [], []
    for text in cards:
        ticker.reset()
        started = time.perf_counter()
        speech.synthesize(text, "ja", config=config)
        seconds.append(time.perf_counter() - started)
        gevent.sleep(0.005)
        gaps.append(ticker.longest * 1000)
    return gaps, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=8)
    options = parser.parse_args()
    config = speech.SpeechConfig(cache_dir=Path(tempfile.mkdtemp(prefix="net119-loop-gap-")))
    speech.load(config)
    speech.prepare("ja", config=config)  # as a started server has: the shared sentences kept
    ticker = Ticker()
    try:
        # Baseline: the library's own thread pool, which gevent has turned into greenlets of the loop.
        speech.use_executor(ThreadPoolExecutor(max_workers=2))
        in_loop = measure(ticker, config, texts(options.cards, 1))
        # As `net119 serve` does it (app/proxy/speaking.py): the vocoder in native threads.
        speech.use_executor(native_executor())
        beside = measure(ticker, config, texts(options.cards, 1001))
    finally:
        ticker.stop()
    print(f"Event-loop stall while a proxy-call card is voiced ({options.cards} new cards each, Japanese, "
          f"shared sentences kept), {time.strftime('%Y-%m-%d %H:%M')}")
    for name, (gaps, seconds) in (("vocoder in the loop (baseline)", in_loop),
                                  ("vocoder in native threads (server)", beside)):
        print(f"  {name:36} longest loop gap median {statistics.median(gaps):6.1f} ms, max {max(gaps):6.1f} ms;"
              f" card {statistics.median(seconds) * 1000:5.0f} ms median")


if __name__ == "__main__":
    main()
