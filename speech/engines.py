"""The interface every speech engine has, the engines by name, and the errors they raise."""

from collections.abc import Callable
from typing import Protocol


class EngineFailed(Exception):
    """An engine could not turn this text into speech; the next engine in the list may."""


class NoEngineAvailable(Exception):
    """No configured engine could speak the language: let the browser's own speech synthesis read it."""

    def __init__(self, lang: str, reasons: list[str]):
        self.lang = lang
        self.reasons = reasons
        detail = "; ".join(reasons) or "no engine is configured"
        super().__init__(f"no speech engine available for {lang!r}: {detail}")


class Engine(Protocol):
    """Turns text in one of its languages into MP3 bytes."""

    name: str
    languages: frozenset[str]

    def available(self) -> bool:
        """Whether the engine can run on this machine at all (not whether a call will succeed)."""

    def voice(self, lang: str) -> str:
        """The voice used for lang, as recorded with the audio."""

    def version(self) -> str:
        """Everything besides voice and text that changes the audio (library, dictionary)."""

    def synthesize(self, text: str, lang: str) -> bytes:
        """MP3 bytes of text spoken in lang; raises EngineFailed."""


def _openjtalk(config) -> Engine:
    from .openjtalk import OpenJTalkEngine

    return OpenJTalkEngine(config)


def _espeak(config) -> Engine:
    from .espeak import EspeakEngine

    return EspeakEngine(config)


def _gtts(config) -> Engine:
    from .google import GoogleEngine

    return GoogleEngine(config)


# Imported on first use, so that a deployment without Japanese speech never loads Open JTalk.
ENGINES: dict[str, Callable[..., Engine]] = {
    "openjtalk": _openjtalk,
    "espeak-ng": _espeak,
    "gtts": _gtts,
}
