"""Text to speech for the proxy-call card (SPEC §5): Japanese or English text in, small MP3 out.

A library of its own: it never imports Flask.
"""

import functools
import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from . import mp3
from .cache import AUDIO_DIR, SENTENCES_DIR, AudioCache, Pruned, prune_audio, remove_stale_parts
from .config import SpeechConfig
from .engines import ENGINES, Engine, EngineFailed, NoEngineAvailable

__all__ = ["NoEngineAvailable", "Pruned", "Speech", "SpeechConfig", "load", "prepare", "prune", "speak_to_file",
           "synthesize", "use_executor"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Speech:
    """Synthesised speech: the MP3 and how it was made."""

    mp3: bytes = field(repr=False)
    lang: str
    engine: str
    voice: str
    duration: float  # seconds
    cached: bool  # taken from the cache rather than synthesised for this call
    key: str  # names this audio and no other: usable as an HTTP ETag


def synthesize(text: str, lang: str = "ja", *, config: SpeechConfig | None = None) -> Speech:
    """Speak text with the first engine configured for lang that works; else NoEngineAvailable."""
    text = text.strip()
    if not text:
        raise ValueError("there is no text to speak")
    config = config or SpeechConfig()
    engines, cache = _setup(config)
    reasons = []
    for engine in engines.get(lang, ()):
        if not engine.available():
            reasons.append(f"{engine.name}: not installed")
            continue
        try:
            return _speak(engine, cache, text, lang, config)
        except EngineFailed as error:
            log.warning("speech engine failed, trying the next one: %s", error)
            reasons.append(str(error))
    raise NoEngineAvailable(lang, reasons)


def speak_to_file(text: str, path, lang: str = "ja", *, config: SpeechConfig | None = None) -> Speech:
    """Synthesise text and write the MP3 to path (`net119 speak`)."""
    result = synthesize(text, lang, config=config)
    Path(path).write_bytes(result.mp3)
    return result


def load(config: SpeechConfig | None = None) -> None:
    """Build the engines of config now instead of on first use (Open JTalk compiles its user
    dictionary here, in a child process)."""
    _setup(config or SpeechConfig())


def use_executor(executor) -> None:
    """Run the engines' parallel work (Open JTalk's vocoder) in executor, a concurrent.futures
    executor, instead of the library's own threads: a gevent server passes one of native threads."""
    from . import openjtalk

    openjtalk.use_executor(executor)


def prepare(lang: str = "ja", *, config: SpeechConfig | None = None) -> None:
    """Voice ahead of time what every card in lang shares, for the engines that keep such parts."""
    engines, _ = _setup(config or SpeechConfig())
    for engine in engines.get(lang, ()):
        if engine.available() and hasattr(engine, "prepare"):
            engine.prepare()


def prune(keep: timedelta | None, *, max_bytes: int | None = None, config: SpeechConfig | None = None) -> Pruned:
    """Remove the card audio not used for keep (then the least recently used beyond max_bytes;
    None for either: no such limit) and the part files a crash left; the shared sentences stay,
    as they name nobody."""
    config = config or SpeechConfig()
    unused_for = None if keep is None else keep.total_seconds()
    audio = prune_audio(config.cache_dir / AUDIO_DIR, unused_for, max_bytes)
    return audio + remove_stale_parts(config.cache_dir / SENTENCES_DIR)


def _speak(engine: Engine, cache: AudioCache, text: str, lang: str, config: SpeechConfig) -> Speech:
    voice = engine.voice(lang)
    audio_format = f"{config.bitrate_kbps} kbps, {config.sample_rate} Hz, LAME quality {mp3.QUALITY}"
    key = cache.key(engine.name, voice, engine.version(), audio_format, lang, text)
    with cache.only_one(key):
        audio = cache.get(key)
        cached = audio is not None
        if not cached:
            audio = engine.synthesize(text, lang)
            try:
                cache.put(key, audio)
            except OSError:
                # A full or read-only disk must not keep the card silent: play it uncached.
                log.exception("could not cache speech in %s", cache.directory)
    return Speech(audio, lang, engine.name, voice, mp3.duration(audio), cached, key)


_setup_lock = threading.Lock()


def _setup(config: SpeechConfig) -> tuple[dict[str, tuple[Engine, ...]], AudioCache]:
    # Engines keep state (the gTTS breaker, Open JTalk's dictionary), so equal configs share them,
    # and requests arriving together at start-up build them once.
    with _setup_lock:
        return _build(config)


@functools.lru_cache(maxsize=16)
def _build(config: SpeechConfig) -> tuple[dict[str, tuple[Engine, ...]], AudioCache]:
    names = {name for names in config.engines.values() for name in names}
    built = {name: ENGINES[name](config) for name in sorted(names)}
    for lang, names in config.engines.items():
        for name in names:
            if lang not in built[name].languages:
                raise ValueError(f"speech engine {name!r} cannot speak {lang!r}")
    engines = {lang: tuple(built[name] for name in names) for lang, names in config.engines.items()}
    return engines, AudioCache(config.cache_dir / AUDIO_DIR)
