"""Speech from Google Translate's voices via gTTS. It sends the text to Google, so it runs only
when the operator puts "gtts" in the engine list, and it gives up fast when Google is unreachable."""

import base64
import json

import gtts
import requests

from . import mp3
from .breaker import CircuitBreaker
from .engines import EngineFailed


class GoogleEngine:
    """Google's batchexecute endpoint, behind a short timeout and a circuit breaker."""

    name = "gtts"
    languages = frozenset({"ja", "en"})

    def __init__(self, config):
        self._url = config.gtts_url
        self._timeout = config.gtts_timeout
        self._breaker = CircuitBreaker(config.gtts_cooldown)

    def available(self) -> bool:
        """Always: whether Google answers is the breaker's business."""
        return True

    def voice(self, lang: str) -> str:
        """Google Translate's voice for lang."""
        return f"google-translate-{lang}"

    def version(self) -> str:
        """The gTTS version, which decides how a long text is split into requests."""
        return f"gtts {gtts.__version__}"

    def synthesize(self, text: str, lang: str) -> bytes:
        """MP3 from Google, or EngineFailed at once while the breaker is open."""
        if not self._breaker.allow():
            raise EngineFailed("gtts: not tried, Google failed recently")
        try:
            # gTTS splits the text into Google-sized parts and packs each into a request body;
            # we send them ourselves, to our configured URL, with TLS verification on (gTTS
            # turns it off, and this text names a person, a disability and a place).
            bodies = gtts.gTTS(text, lang=lang, lang_check=False).get_bodies()
            audio = b"".join(self._fetch(body) for body in bodies)
            mp3.duration(audio)  # an answer that is not MP3 is a failure too
        except Exception as error:
            # Anything going wrong here, even an answer we cannot read, means trying the next engine.
            self._breaker.failed()
            raise EngineFailed(f"gtts: {error}") from error
        self._breaker.succeeded()
        return audio

    def _fetch(self, body: str) -> bytes:
        response = requests.post(
            self._url, data=body, headers=gtts.gTTS.GOOGLE_TTS_HEADERS, timeout=self._timeout
        )
        response.raise_for_status()
        return _audio(response.text)


def _audio(answer: str) -> bytes:
    """The MP3 in a batchexecute answer: a JSON line holding ["wrb.fr", "jQ1olc", '["<base64>"]', …]."""
    for line in answer.splitlines():
        if gtts.gTTS.GOOGLE_TTS_RPC not in line:
            continue
        for envelope in json.loads(line):
            if envelope[:2] == ["wrb.fr", gtts.gTTS.GOOGLE_TTS_RPC] and envelope[2]:
                return base64.b64decode(json.loads(envelope[2])[0])
    raise ValueError("no audio in Google's answer")
