"""Card audio is kept while it is used and removed once it is not: never the shared sentences."""

import os
import threading
import time
from datetime import timedelta

import miniaudio

import speech

DAY = 24 * 3600
KEEP = timedelta(days=30)


def age(path, days):
    """Make path look last written ``days`` ago."""
    then = time.time() - days * DAY
    os.utime(path, (then, then))


def card_audio(config, text, days_ago=0.0):
    """Voice text into the cache of config and age its MP3; the file."""
    result = speech.synthesize(text, config=config)
    path = config.cache_dir / "audio" / f"{result.key}.mp3"
    age(path, days_ago)
    return path


def test_card_audio_not_used_for_the_keep_time_is_removed_and_recent_audio_stays(counting):
    old = card_audio(counting.config, "名前は千歳太郎です。", days_ago=31)
    recent = card_audio(counting.config, "名前は佐藤花子です。", days_ago=29)
    size = old.stat().st_size

    pruned = speech.prune(KEEP, config=counting.config)

    assert not old.exists() and recent.exists()
    assert pruned.removed == 1 and pruned.kept == 1
    assert pruned.freed == size


def test_a_cache_hit_counts_as_use(counting):
    home = card_audio(counting.config, "場所は千歳市東雲町です。", days_ago=31)

    again = speech.synthesize("場所は千歳市東雲町です。", config=counting.config)
    speech.prune(KEEP, config=counting.config)

    assert again.cached
    assert home.exists()
    assert time.time() - home.stat().st_mtime < 60


def test_audio_removed_by_a_prune_is_voiced_again_on_the_next_request(counting):
    card_audio(counting.config, "通報番号は2611290001です。", days_ago=31)
    speech.prune(KEEP, config=counting.config)

    again = speech.synthesize("通報番号は2611290001です。", config=counting.config)

    assert not again.cached and miniaudio.decode(again.mp3).duration > 0.4
    assert counting.calls == 2


def test_the_shared_sentences_are_never_removed(counting):
    sentences = counting.config.cache_dir / "sentences"
    sentences.mkdir(parents=True)
    kept = sentences / "f00d.pcm"
    kept.write_bytes(b"\0\1" * 100)
    age(kept, 400)
    card_audio(counting.config, "火事です。", days_ago=400)

    speech.prune(KEEP, max_bytes=0, config=counting.config)

    assert kept.read_bytes() == b"\0\1" * 100


def test_parts_left_by_a_crash_are_removed_and_a_write_in_progress_is_not(counting):
    audio = counting.config.cache_dir / "audio"
    sentences = counting.config.cache_dir / "sentences"
    for directory in (audio, sentences):
        directory.mkdir(parents=True, exist_ok=True)
        crashed = directory / "crashed.part"
        crashed.write_bytes(b"half")
        age(crashed, 1)
        (directory / "writing.part").write_bytes(b"half")

    pruned = speech.prune(KEEP, config=counting.config)

    assert sorted(path.name for path in audio.iterdir()) == ["writing.part"]
    assert sorted(path.name for path in sentences.iterdir()) == ["writing.part"]
    assert pruned.removed == 2


def test_over_the_size_cap_the_least_recently_used_audio_goes_first(counting):
    oldest = card_audio(counting.config, "名前は一です。", days_ago=3)
    size = oldest.stat().st_size
    middle = card_audio(counting.config, "名前は二です。", days_ago=2)
    newest = card_audio(counting.config, "名前は三です。", days_ago=1)

    pruned = speech.prune(KEEP, max_bytes=2 * size, config=counting.config)

    assert not oldest.exists() and middle.exists() and newest.exists()
    assert (pruned.removed, pruned.kept, pruned.kept_bytes) == (1, 2, 2 * size)


def test_a_cache_never_written_prunes_to_nothing(config):
    pruned = speech.prune(KEEP, config=config)

    assert (pruned.removed, pruned.kept) == (0, 0)
    assert not config.cache_dir.exists()


def test_pruning_while_cards_are_asked_for_never_fails_a_card(counting):
    texts = [f"名前は{name}です。" for name in ("一", "二", "三")]
    for text in texts:
        speech.synthesize(text, config=counting.config)
    stop = threading.Event()
    failures, results = [], []

    def ask(text):
        while not stop.is_set():
            try:
                results.append(speech.synthesize(text, config=counting.config))
            except Exception as error:  # noqa: BLE001 (what the test is looking for)
                failures.append(error)

    def prune_everything():
        while not stop.is_set():
            speech.prune(timedelta(0), config=counting.config)

    threads = [threading.Thread(target=ask, args=(text,)) for text in texts * 2]
    threads.append(threading.Thread(target=prune_everything))
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    stop.set()
    for thread in threads:
        thread.join()

    assert not failures
    assert any(result.cached for result in results) and any(not result.cached for result in results)
    assert all(miniaudio.decode(result.mp3).duration > 0.4 for result in results)
