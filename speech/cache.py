"""Synthesised MP3 on disk, keyed by a hash of everything that shapes the audio."""

import hashlib
import json
import math
import os
import stat
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import miniaudio
import numpy as np

from . import mp3


# Under the cache directory: each card's MP3 (personal, pruned), and the sentences every card
# shares (voiced once and kept: they name nobody).
AUDIO_DIR = "audio"
SENTENCES_DIR = "sentences"
# A write takes milliseconds: a part file this old was left by a crash, not by a writer at work.
STALE_PART_SECONDS = 3600


@dataclass(frozen=True)
class Pruned:
    """What a prune removed (files, bytes) and the card audio it kept."""

    removed: int = 0
    freed: int = 0
    kept: int = 0
    kept_bytes: int = 0

    def __add__(self, other: "Pruned") -> "Pruned":
        return Pruned(self.removed + other.removed, self.freed + other.freed,
                      self.kept + other.kept, self.kept_bytes + other.kept_bytes)


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
        """The cached MP3 for key, or None; a hit counts as a use, which keeps the file from a prune."""
        path = self.directory / f"{key}.mp3"
        try:
            audio = path.read_bytes()
            mp3.duration(audio)
        except (OSError, miniaudio.DecodeError):
            # Missing (never made, or pruned a moment ago), unreadable or cut short by a crash:
            # synthesise it again rather than fail.
            return None
        try:
            # The file's mtime is its last use (atime is not kept on many mounts): about 2 us.
            os.utime(path)
        except OSError:
            pass  # pruned since the read, or a read-only disk: the audio in hand still plays
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


def prune_audio(directory: Path, unused_for: float | None, max_bytes: int | None = None) -> Pruned:
    """Remove the MP3s of an AudioCache's directory not used for unused_for seconds (None: any
    time), then the least recently used beyond max_bytes (None: no limit).

    Safe beside readers and writers, in this process or another, and without their locks (which
    under gevent belong to the event loop, not to the native thread a prune may run in): a reader
    finds no file and synthesises the card again (about 0.3 s); a writer replaces whole files only.
    """
    cutoff = -math.inf if unused_for is None else time.time() - unused_for
    removed = []
    kept = []  # (mtime, size, path)
    for path, status in _files(directory, ".mp3"):
        if status.st_mtime < cutoff:
            removed.append((status.st_size, path))
        else:
            kept.append((status.st_mtime, status.st_size, path))
    total = sum(size for _, size, _ in kept)
    if max_bytes is not None:
        kept.sort(reverse=True)  # the least recently used last
        while kept and total > max_bytes:
            _, size, path = kept.pop()
            removed.append((size, path))
            total -= size
    freed = [size for size, path in removed if _remove(path)]
    return Pruned(len(freed), sum(freed), len(kept), total) + remove_stale_parts(directory)


def remove_stale_parts(directory: Path) -> Pruned:
    """Remove the part files a crash left in directory, never one still being written."""
    cutoff = time.time() - STALE_PART_SECONDS
    freed = [status.st_size for path, status in _files(directory, ".part")
             if status.st_mtime < cutoff and _remove(path)]
    return Pruned(len(freed), sum(freed))


def _files(directory: Path, suffix: str) -> list[tuple[str, os.stat_result]]:
    """The files in directory whose names end in suffix, with their status (none if no directory yet)."""
    files = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if not entry.name.endswith(suffix):
                    continue
                try:
                    status = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # renamed into place or removed meanwhile
                if stat.S_ISREG(status.st_mode):
                    files.append((entry.path, status))
    except FileNotFoundError:
        pass
    return files


def _remove(path: str) -> bool:
    """Remove path; False if another prune removed it first."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


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
