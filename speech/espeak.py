"""English speech with the espeak-ng command, when it is installed: offline and private."""

import shutil
import subprocess
import tempfile
import wave
from functools import cache
from pathlib import Path

import numpy as np

from . import mp3
from .engines import EngineFailed

_VOICE = "en-us"
# Words per minute: a little slower than espeak's 175, for a stranger in a hurry to follow.
_SPEED = 150


class EspeakEngine:
    """The espeak-ng command found on PATH when a call is made."""

    name = "espeak-ng"
    languages = frozenset({"en"})

    def __init__(self, config):
        self._config = config

    def available(self) -> bool:
        """Whether espeak-ng is on PATH."""
        return shutil.which("espeak-ng") is not None

    def voice(self, lang: str) -> str:
        """The espeak-ng voice."""
        return _VOICE

    def version(self) -> str:
        """The output of `espeak-ng --version` (program and voice data)."""
        return _version()

    def synthesize(self, text: str, lang: str) -> bytes:
        """MP3 of text read by espeak-ng."""
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "speech.wav"
            try:
                # Text goes on stdin, so that text starting with "-" is never read as an option.
                subprocess.run(
                    ["espeak-ng", "-v", _VOICE, "-s", str(_SPEED), "-b", "1", "-w", str(wav), "--stdin"],
                    input=text.encode(),
                    capture_output=True,
                    check=True,
                    timeout=10,
                )
                with wave.open(str(wav)) as audio:
                    rate = audio.getframerate()
                    samples = np.frombuffer(audio.readframes(audio.getnframes()), "<i2")
            except (OSError, subprocess.SubprocessError, wave.Error) as error:
                raise EngineFailed(f"espeak-ng: {error}") from error
        if not samples.size:
            raise EngineFailed("espeak-ng: nothing to say")
        return mp3.encode(
            samples, rate, bitrate_kbps=self._config.bitrate_kbps, sample_rate=self._config.sample_rate
        )


@cache
def _version() -> str:
    try:
        run = subprocess.run(
            ["espeak-ng", "--version"], capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise EngineFailed(f"espeak-ng: {error}") from error
    return run.stdout.strip()
