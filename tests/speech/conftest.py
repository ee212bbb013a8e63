"""Speech fixtures: a config on a temporary cache, a fake Google endpoint, a counting engine."""

import base64
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import lameenc
import numpy as np
import pytest

from speech import SpeechConfig
from speech.engines import ENGINES


def tone_mp3(seconds: float, rate: int = 24000) -> bytes:
    """A 440 Hz tone as 32 kbps mono MP3, shaped like Google's answers."""
    t = np.arange(int(seconds * rate)) / rate
    pcm = (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2")
    encoder = lameenc.Encoder()
    encoder.set_channels(1)
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(rate)
    encoder.set_out_sample_rate(rate)
    return bytes(encoder.encode(pcm.tobytes()) + encoder.flush())


@pytest.fixture
def config(tmp_path) -> SpeechConfig:
    """The default engines, caching under a temporary directory."""
    return SpeechConfig(cache_dir=tmp_path / "speech")


@dataclass
class FakeGoogle:
    """Answers like translate.google.com's batchexecute endpoint; records what reached it."""

    url: str = ""
    mode: str = "ok"  # ok | error | slow | no-audio
    requests: list[dict] = field(default_factory=list)
    answers: list[bytes] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def fake_google():
    """A threaded HTTP server on 127.0.0.1 playing Google's TTS endpoint, stopped after the test."""
    fake = FakeGoogle()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            rpc = json.loads(urllib.parse.parse_qs(body)["f.req"][0])
            rpc_id, parameters = rpc[0][0][0], json.loads(rpc[0][0][1])
            fake.requests.append(
                {"path": self.path, "rpc": rpc_id, "text": parameters[0], "lang": parameters[1]}
            )
            if fake.mode == "slow":
                fake.release.wait(10)
            if fake.mode == "error":
                self.send_error(503)
                return
            audio = tone_mp3(0.08 * len(parameters[0]))
            fake.answers.append(audio)
            payload = None if fake.mode == "no-audio" else json.dumps([base64.b64encode(audio).decode()])
            line = json.dumps([["wrb.fr", rpc_id, payload, None, None, None, "generic"], ["di", 42]])
            answer = f')]}}\'\n\n{len(line)}\n{line}\n25\n[["e",4,null,null,{len(line) + 30}]]\n'
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.end_headers()
                self.wfile.write(answer.encode())
            except ConnectionError:
                pass  # the client gave up waiting, as it should

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_port}/_/TranslateWebserverUi/data/batchexecute"
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


class CountingEngine:
    """Speaks any language as a tone, counting how often it is asked, a little slowly."""

    name = "counting"
    languages = frozenset({"ja", "en"})

    def __init__(self, config):
        self.calls = 0
        self._lock = threading.Lock()

    def available(self):
        return True

    def voice(self, lang):
        return "tone"

    def version(self):
        return "1"

    def synthesize(self, text, lang):
        with self._lock:
            self.calls += 1
        time.sleep(0.2)  # long enough for every concurrent request to arrive meanwhile
        return tone_mp3(0.5)


@dataclass
class Counting:
    """A config whose only engine is a CountingEngine, and the engines it built."""

    config: SpeechConfig
    engines: list[CountingEngine]

    @property
    def calls(self) -> int:
        return sum(engine.calls for engine in self.engines)


@pytest.fixture
def counting(monkeypatch, tmp_path) -> Counting:
    """Synthesis through a CountingEngine, registered under the name "counting"."""
    engines = []

    def build(config):
        engines.append(CountingEngine(config))
        return engines[-1]

    monkeypatch.setitem(ENGINES, "counting", build)
    config = SpeechConfig(cache_dir=tmp_path / "speech", engines={"ja": ["counting"], "en": ["counting"]})
    return Counting(config, engines)
