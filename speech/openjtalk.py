"""Japanese speech with Open JTalk (pyopenjtalk-plus): offline, with the local-reading dictionary."""

import contextlib
import io
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

# pyopenjtalk prints a notice on import when ONNX Runtime is absent. ONNX only guesses how to
# read 何, which no card says, so the notice is kept off stdout (the CLI writes there).
with contextlib.redirect_stdout(io.StringIO()):
    import pyopenjtalk
from pyopenjtalk.htsengine import HTSEngine
from pyopenjtalk.openjtalk import OpenJTalk

from . import mp3
from .cache import SENTENCES_DIR, AudioCache, SampleCache
from .dictionary import UserDictionary
from .engines import EngineFailed

# pyopenjtalk is not thread-safe: its text front end and dictionary compiler run one call at a time.
_frontend_lock = threading.Lock()

log = logging.getLogger(__name__)

# The vocoder is nearly all of the time (about 25 ms per second of speech) and releases the GIL,
# so the phrases of a text are voiced in parallel, each worker thread owning one HTS engine.
_voicing = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="openjtalk")
_worker = threading.local()

_SENTENCE_END = re.compile(r"(?<=[。！？!?\n])")
# The current phoneme of a full-context label: "p1^p2-p3+p4=p5/A:...".
_PHONEME = re.compile(r"-([^+]+)\+")


def use_executor(executor) -> None:
    """Voice phrases in executor from now on (see speech.use_executor)."""
    global _voicing
    _voicing = executor


class OpenJTalkEngine:
    """Open JTalk with the mei voice and the configured user dictionaries."""

    name = "openjtalk"
    languages = frozenset({"ja"})

    def __init__(self, config):
        self._config = config
        self._dictionary = UserDictionary.load(config.dictionaries)
        with _frontend_lock:
            userdic = _compile(self._dictionary, config.cache_dir / "dictionaries")
            # Our own front end, not pyopenjtalk's global one, so that two configs with different
            # dictionaries can live in one process. Protected readings survive later corrections.
            self._frontend = OpenJTalk(
                dn_mecab=pyopenjtalk.OPEN_JTALK_DICT_DIR,
                userdic=str(userdic).encode() if userdic else b"",
                userdic_reading_protection=[True] if userdic else None,
            )
        self._rate = _hts_engine().get_sampling_frequency()
        self._kept = SampleCache(config.cache_dir / SENTENCES_DIR)

    def available(self) -> bool:
        """Always: the voice and the system dictionary ship inside the wheel."""
        return True

    def voice(self, lang: str) -> str:
        """The HTS voice."""
        return "mei_normal"

    def version(self) -> str:
        """The library version and the user dictionary's digest."""
        return f"pyopenjtalk-plus {pyopenjtalk.__version__}; dictionary {self._dictionary.digest}"

    def reading(self, text: str) -> str:
        """The katakana reading this engine will speak, e.g. to check a dictionary entry."""
        with _frontend_lock:
            return pyopenjtalk.g2p(text, kana=True, jtalk=self._frontend)

    def synthesize(self, text: str, lang: str) -> bytes:
        """MP3 of text read by Open JTalk."""
        sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
        if not sentences:
            raise EngineFailed("openjtalk: nothing to say")
        stream = mp3.Mp3Stream(
            self._rate, bitrate_kbps=self._config.bitrate_kbps, sample_rate=self._config.sample_rate
        )
        # Each sentence is encoded as soon as it is voiced, while the next ones are still voicing.
        for samples in self._voiced(sentences):
            stream.add(samples)
        return stream.finish()

    def prepare(self) -> None:
        """Voice the sentences every card shares ahead of the first card that needs them."""
        for _ in self._voiced(self._config.kept_sentences):
            pass

    def _voiced(self, sentences):
        """The samples of each sentence in order: shared ones from the cache, the rest voiced in parallel."""
        samples = {s: self._kept.get(self._key(s)) for s in sentences if s in self._config.kept_sentences}
        missing = list(dict.fromkeys(s for s in sentences if samples.get(s) is None))
        with _frontend_lock:
            labels = [
                pyopenjtalk.extract_fullcontext(s, jtalk=self._frontend, predict_nani=False) for s in missing
            ]
        voicing = {
            sentence: [_voicing.submit(_voice, phrase) for phrase in _phrases(sentence_labels)]
            for sentence, sentence_labels in zip(missing, labels)
        }
        for sentence in sentences:
            if samples.get(sentence) is None:
                samples[sentence] = np.concatenate([mp3.pcm16(phrase.result()) for phrase in voicing[sentence]])
                if sentence in self._config.kept_sentences:
                    self._keep(sentence, samples[sentence])
            yield samples[sentence]

    def _key(self, sentence: str) -> str:
        return AudioCache.key(self.name, self.voice("ja"), self.version(), f"{self._rate} Hz", sentence)

    def _keep(self, sentence: str, samples) -> None:
        try:
            self._kept.put(self._key(sentence), samples)
        except OSError:
            # Only the next card's speed depends on it: speak this one all the same.
            log.exception("could not keep the voiced sentence in %s", self._kept.directory)


def _phrases(labels: list[str]) -> list[list[str]]:
    """The labels of a sentence cut before each pause, so that one long sentence is voiced by every core.

    Each label keeps its context in the whole sentence, so durations and accents are those of the
    sentence; only HTS's global-variance correction (how widely pitch and timbre swing) is worked
    out per phrase instead of per sentence. Each phrase ends as the voice falls silent before the
    pause, so the joins do not click.
    """
    cuts = [i for i, label in enumerate(labels) if i and _PHONEME.search(label)[1] == "pau"]
    return [labels[start:end] for start, end in zip([0, *cuts], [*cuts, len(labels)])]


def _voice(labels: list[str]) -> np.ndarray:
    return _hts_engine().synthesize(labels)


def _hts_engine() -> HTSEngine:
    # One HTS engine per thread: an engine holds the state of the utterance it is voicing.
    engine = getattr(_worker, "engine", None)
    if engine is None:
        engine = _worker.engine = HTSEngine(pyopenjtalk.DEFAULT_HTS_VOICE)
    return engine


_COMPILE = "import sys, pyopenjtalk; pyopenjtalk.mecab_dict_index(sys.argv[1], sys.argv[2])"


def _compile(dictionary: UserDictionary, directory: Path) -> Path | None:
    """The binary form of the dictionary, built once per digest; None when it is empty."""
    if not dictionary.entries:
        return None
    target = directory / f"user-{dictionary.digest}.dic"
    if not target.exists():
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=directory) as tmp:
            source, built = Path(tmp) / "user.csv", Path(tmp) / "user.dic"
            source.write_text(dictionary.mecab_csv(), encoding="utf-8")
            # In a child process: MeCab's compiler is a command-line tool's main() run in-process
            # (it prints progress bars), and a server's database connections opened right after
            # it failed with "disk I/O error" in test runs. Cause not yet found; kept apart meanwhile.
            subprocess.run([sys.executable, "-c", _COMPILE, str(source), str(built)],
                           check=True, capture_output=True, timeout=60)
            # Another process may be opening the same file: it must appear whole or not at all.
            os.replace(built, target)
    return target
