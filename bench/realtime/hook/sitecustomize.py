"""Put on a server's PYTHONPATH by ``bench/realtime/run.py --stages``: times chat messages in its worker.

Python imports this module at start-up, before the app (and before gevent
patches anything), so all it does here is ask to be called after a fork: in
gunicorn's worker, whose app is loaded by then, ``stages.install()`` wraps the
functions it times. The master and any other process are left alone.
"""
import os
import sys

if os.environ.get("NET119_BENCH_STAGES"):
    def _install_in_worker():
        if "app.chat_socket" not in sys.modules:
            return  # not a forked NET119 worker (e.g. a helper process)
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        import stages

        stages.install(os.environ["NET119_BENCH_STAGES"])

    os.register_at_fork(after_in_child=_install_in_worker)
