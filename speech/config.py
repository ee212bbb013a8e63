"""Settings for speech synthesis: which engines per language, where to cache, how to encode."""

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .card import fixed_sentences
from .dictionary import DEFAULT_DICTIONARY
from .engines import ENGINES

GOOGLE_TTS_URL = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "net119" / "speech"


@dataclass(frozen=True)
class SpeechConfig:
    """Engine order per language, cache location, user dictionaries, gTTS limits and MP3 format."""

    # gTTS sends the text (a name, a disability, a place) to Google, so it is never in the default.
    engines: Mapping[str, Sequence[str]] = field(
        default_factory=lambda: {"ja": ("openjtalk",), "en": ("espeak-ng",)}, hash=False
    )
    cache_dir: Path = field(default_factory=_default_cache_dir)
    dictionaries: Sequence[Path] = (DEFAULT_DICTIONARY,)
    gtts_url: str = GOOGLE_TTS_URL
    gtts_timeout: float = 3.0
    gtts_cooldown: float = 60.0
    bitrate_kbps: int = 32
    # Japanese sentences whose voiced samples are kept on disk, because every card says them:
    # voicing is most of a card's synthesis time (bench/README.md).
    kept_sentences: tuple[str, ...] = fixed_sentences("ja")
    sample_rate: int = 24000

    def __post_init__(self):
        # Frozen copies, so that a config can key the engines it built and cannot change under them.
        engines = MappingProxyType({lang: tuple(names) for lang, names in self.engines.items()})
        unknown = {name for names in engines.values() for name in names} - ENGINES.keys()
        if unknown:
            raise ValueError(f"unknown speech engines {sorted(unknown)}; known: {sorted(ENGINES)}")
        object.__setattr__(self, "engines", engines)
        object.__setattr__(self, "cache_dir", Path(self.cache_dir))
        object.__setattr__(self, "dictionaries", tuple(Path(p) for p in self.dictionaries))
        object.__setattr__(self, "kept_sentences", tuple(self.kept_sentences))
