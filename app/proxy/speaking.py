"""The card's server speech: the ``speech`` library, configured from the app's config."""
import logging
import threading
from datetime import timedelta
from pathlib import Path

from flask import current_app

import speech

from ..offload import native_executor

log = logging.getLogger(__name__)

# How often the server prunes the card audio: SPEECH_CACHE_MAX_BYTES is a cap only as often as
# this. A round costs about 5 us a file (0.1 s for 20,000), in a native thread beside the loop.
PRUNE_EVERY = 3600


def speech_config():
    """The SpeechConfig for this app (SPEECH_CACHE_DIR, SPEECH_ENGINES)."""
    config = current_app.config
    cache_dir = config["SPEECH_CACHE_DIR"] or Path(current_app.instance_path) / "speech-cache"
    options = {"cache_dir": cache_dir}
    if config["SPEECH_ENGINES"] is not None:
        options["engines"] = config["SPEECH_ENGINES"]
    return speech.SpeechConfig(**options)


def spoken(card, lang):
    """The card read aloud in ``lang``, or None when the browser has to read it itself."""
    try:
        return speech.synthesize(card.text(lang), lang, config=speech_config())
    except speech.NoEngineAvailable as error:
        log.info("no server voice for the card: %s", error)
    except Exception:
        # The card's words must reach the bystander whatever happens to the voice:
        # the page still shows them, and the browser reads them aloud instead.
        log.exception("speech synthesis failed for the %s card", lang)
    return None


def voice_beside_the_loop():
    """Under gevent (the server's worker), voice in native threads from now on (app/offload.py)."""
    executor = native_executor()
    if executor is not None:
        speech.use_executor(executor)


def load_engines(app):
    """Build the engines now: in the server's master, so the worker it forks has them.

    Loading Open JTalk (and compiling the user dictionary) computes for about
    0.2 s; in the worker that would hold up every socket of the event loop.
    """
    with app.app_context():
        try:
            speech.load(speech_config())
        except Exception:
            log.exception("could not load the speech engines ahead of time")


def prepare_in_background(app):
    """Voice what every card shares in a daemon thread; return the thread."""
    def prepare():
        with app.app_context():
            try:
                speech.prepare("ja", config=speech_config())
            except Exception:
                # Only a head start: a card still speaks, just from scratch.
                log.exception("could not voice the shared card sentences ahead of time")

    thread = threading.Thread(target=prepare, name="speech-prepare", daemon=True)
    thread.start()
    return thread


def prunes(app):
    """True when the app's config limits how long or how much card audio is kept."""
    return any(app.config.get(name) is not None for name in ("SPEECH_CACHE_KEEP", "SPEECH_CACHE_MAX_BYTES"))


def prune_cache(app):
    """Remove the card audio unused for SPEECH_CACHE_KEEP or beyond SPEECH_CACHE_MAX_BYTES; a speech.Pruned."""
    with app.app_context():
        config = speech_config()
    keep = app.config.get("SPEECH_CACHE_KEEP")
    if keep is not None and not isinstance(keep, timedelta):
        keep = timedelta(seconds=keep)  # NET119_SPEECH_CACHE_KEEP is in seconds
    options = {"max_bytes": app.config.get("SPEECH_CACHE_MAX_BYTES"), "config": config}
    executor = native_executor()
    if executor is None:
        return speech.prune(keep, **options)
    # A stat per file, and a disk that may be slow: beside the event loop, which waits by yielding.
    return executor.submit(speech.prune, keep, **options).result()


def prune_in_background(app, every=PRUNE_EVERY, stop=None):
    """Prune the card audio now and then every ``every`` seconds until ``stop`` is set; the thread."""
    stop = stop or threading.Event()

    def prune():
        while True:
            try:
                pruned = prune_cache(app)
            except Exception:
                # The next round tries again; meanwhile the cache only grows, as it always did.
                log.exception("could not prune the speech cache")
            else:
                if pruned.removed:
                    log.info("speech cache: removed %d files (%d bytes); kept %d cards (%d bytes)",
                             pruned.removed, pruned.freed, pruned.kept, pruned.kept_bytes)
            if stop.wait(every):
                return

    thread = threading.Thread(target=prune, name="speech-prune", daemon=True)
    thread.start()
    return thread
