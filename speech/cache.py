"""Synthesised MP3 on disk, keyed by a hash of everything that shapes the audio."""

import hashlib
import json
import os
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import miniaudio
import numpy as np

from . import mp3


@dataclass
class _KeyLock:
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0


class AudioCache:
    """A directory of MP3 files named by key, written atomically, filled once per key."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._guard = threading.Lock()
        self._key_locks: dict[str, _KeyLock] = {}

    @staticmethod
    def key(*parts: str) -> str:
        """A hex digest naming the audio for these parts (engine, voice, version, format, language, text)."""
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()

    def get(self, key: str) -> bytes | None:
        """The cached MP3 for key, or None."""
        try:
            audio = (self.directory / f"{key}.mp3").read_bytes()
            mp3.duration(audio)
        except (OSError, miniaudio.DecodeError):
            # Missing, unreadable or cut short by a crash: synthesise it again rather than fail.
            return None
        return audio

    def put(self, key: str, audio: bytes) -> None:
        """Store audio under key; readers see no file or the whole file, never a part of one."""
        _write_whole(self.directory / f"{key}.mp3", audio)

    @contextmanager
    def only_one(self, key: str):
        """Hold the lock for key, so that concurrent requests for one text synthesise it once."""
        with self._guard:
            entry = self._key_locks.setdefault(key, _KeyLock())
            entry.users += 1
        try:
            with entry.lock:
                yield
        finally:
            with self._guard:
                entry.users -= 1
                if not entry.users:
                    del self._key_locks[key]


class SampleCache:
    """A directory of 16-bit mono samples named by key: sentences that many texts share."""

    def __init__(self, directory: Path):
        self.directory = directory

    def get(self, key: str) -> np.ndarray | None:
        """The cached samples for key, or None."""
        try:
            data = (self.directory / f"{key}.pcm").read_bytes()
        except OSError:
            return None
        # An odd length is a file cut short: synthesise it again.
        return np.frombuffer(data, "<i2") if data and len(data) % 2 == 0 else None

    def put(self, key: str, samples: np.ndarray) -> None:
        """Store samples under key, whole or not at all."""
        _write_whole(self.directory / f"{key}.pcm", samples.astype("<i2").tobytes())


def _write_whole(target: Path, data: bytes) -> None:
    """Write data to target so that readers see no file or the whole file, never a part of one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, part = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            # On disk before the rename, so a power cut cannot leave a named, empty file.
            os.fsync(file.fileno())
        os.replace(part, target)
    except BaseException:
        os.unlink(part)
        raise
