"""The audio cache: hits without synthesis, one synthesis for concurrent requests, atomic files."""

import dataclasses
import threading

import speech


def test_cache_hit_returns_identical_bytes_without_synthesising(counting):
    first = speech.synthesize("火事です。", config=counting.config)
    second = speech.synthesize("火事です。", config=counting.config)

    assert counting.calls == 1
    assert (first.cached, second.cached) == (False, True)
    assert second.mp3 == first.mp3
    assert second.key == first.key
    assert second.duration == first.duration


def test_hit_is_shared_by_engines_built_for_another_config(counting):
    first = speech.synthesize("火事です。", config=counting.config)
    # A setting that does not shape the audio: new engines, as after a restart, same cache entries.
    other = dataclasses.replace(counting.config, gtts_timeout=9.0)

    second = speech.synthesize("火事です。", config=other)

    assert second.cached and second.mp3 == first.mp3
    assert counting.calls == 1


def test_concurrent_requests_for_one_text_synthesise_once(counting):
    results = []
    barrier = threading.Barrier(8)

    def request():
        barrier.wait()
        results.append(speech.synthesize("救急です。", config=counting.config))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert counting.calls == 1
    assert sorted(result.cached for result in results) == [False] + [True] * 7
    assert len({result.mp3 for result in results}) == 1


def test_different_texts_and_languages_are_different_entries(counting):
    speech.synthesize("火事です。", "ja", config=counting.config)
    speech.synthesize("救急です。", "ja", config=counting.config)
    speech.synthesize("火事です。", "en", config=counting.config)

    assert counting.calls == 2 + 1


def test_cache_leaves_only_whole_mp3_files(counting):
    speech.synthesize("火事です。", config=counting.config)

    files = list((counting.config.cache_dir / "audio").iterdir())
    assert [path.suffix for path in files] == [".mp3"]


def test_unreadable_cache_file_is_synthesised_again(counting):
    first = speech.synthesize("火事です。", config=counting.config)
    (counting.config.cache_dir / "audio" / f"{first.key}.mp3").write_bytes(b"torn")

    again = speech.synthesize("火事です。", config=counting.config)

    assert not again.cached and again.mp3 == first.mp3
    assert counting.calls == 2
