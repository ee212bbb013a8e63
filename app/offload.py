"""CPU-heavy work beside the event loop, where it cannot stall the sockets.

``net119 serve`` is one gevent process: every socket is a greenlet of one
event loop, so work that computes for 200 ms without yielding holds up every
chat for 200 ms. Open JTalk's vocoder is such work (most of the time of a
proxy-call card); it releases the GIL, so in native threads it runs on the
other core while the loop goes on. Without gevent (tests, ``flask run``)
threads are native anyway and nothing changes.
"""
import os

_executor = None


def _forget_executor():
    # Its threads do not survive fork(): a child makes its own.
    global _executor
    _executor = None


os.register_at_fork(after_in_child=_forget_executor)


def under_gevent():
    """True in a process that gevent has patched (the server; see app/__init__.py)."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


def native_executor():
    """A concurrent.futures executor of native threads under gevent (one per core), else None.

    Waiting on its futures yields to the other greenlets. Only for
    self-contained computation: a native thread under gevent cannot start a
    child process (gevent watches children from the main loop only).
    """
    global _executor
    if _executor is None and under_gevent():
        from gevent.threadpool import ThreadPoolExecutor

        _executor = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
    return _executor
