"""Japanese speech with Open JTalk (pyopenjtalk-plus): offline, with the local-reading dictionary."""

import contextlib
import io
import os
import re
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
from .dictionary import UserDictionary
from .engines import EngineFailed

# pyopenjtalk is not thread-safe: its text front end and dictionary compiler run one call at a time.
_frontend_lock = threading.Lock()

# The vocoder is the slow half (about 40 ms per second of speech) and releases the GIL, so the
# sentences of a text are voiced in parallel, each worker thread owning one HTS engine.
_voicing = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="openjtalk")
_worker = threading.local()

_SENTENCE_END = re.compile(r"(?<=[。！？!?\n])")


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
        with _frontend_lock:
            labels = [
                pyopenjtalk.extract_fullcontext(s, jtalk=self._frontend, predict_nani=False)
                for s in sentences
            ]
        voiced = list(_voicing.map(_voice, labels))
        return mp3.encode(
            np.concatenate([samples for samples, _ in voiced]),
            voiced[0][1],
            bitrate_kbps=self._config.bitrate_kbps,
            sample_rate=self._config.sample_rate,
        )


def _voice(labels: list[str]) -> tuple[np.ndarray, int]:
    engine = getattr(_worker, "engine", None)
    if engine is None:
        engine = _worker.engine = HTSEngine(pyopenjtalk.DEFAULT_HTS_VOICE)
    return engine.synthesize(labels), engine.get_sampling_frequency()


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
            pyopenjtalk.mecab_dict_index(str(source), str(built))
            # Another process may be opening the same file: it must appear whole or not at all.
            os.replace(built, target)
    return target
