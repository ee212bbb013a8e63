"""`net119 outbox`, the worker that retries stored mail: it keeps going when a round fails."""
import os
import sqlite3
import subprocess
import sys
import time

from aiosmtpd.controller import Controller

from app.extensions import db
from app.mail.outbox import send_mail
from app.models import Headquarters, OutgoingMail

from .conftest import ROOT, _die_with_parent, free_port
from .test_registration import Sink


def test_the_outbox_command_outlives_a_round_that_failed(app, tmp_path):
    """A round that fails (the database away for a while) does not end `net119 outbox`: later mail goes."""
    database = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    table = OutgoingMail._meta.table_name
    sink = Sink()
    relay = Controller(sink, hostname="127.0.0.1", port=free_port())
    relay.start()
    with sqlite3.connect(database) as connection:
        connection.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    env = dict(os.environ, NET119_DATABASE_URL=app.config["DATABASE_URL"], NET119_SECRET_KEY="test-secret",
               NET119_MAIL_RELAY=f"127.0.0.1:{relay.port}")
    log = (tmp_path / "outbox.log").open("w+")
    worker = subprocess.Popen([sys.executable, "-m", "app", "outbox", "--every", "1"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    try:
        time.sleep(3)
        assert worker.poll() is None, "net119 outbox ended after a failed round"
        with sqlite3.connect(database) as connection:
            connection.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
        with app.app_context(), db.connection_context():
            app.config["MAIL_RELAY"] = None  # stored only: the worker is to send it
            send_mail("later@docomo.ne.jp", "application_received", hq=Headquarters.get(code="chitose"))
        deadline = time.monotonic() + 10
        while not sink.messages_to("later@docomo.ne.jp") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(sink.messages_to("later@docomo.ne.jp")) == 1
    finally:
        worker.terminate()
        worker.wait(timeout=10)
        relay.stop()
        log.seek(0)
        output = log.read()
        log.close()
    assert "no such table" in output  # the failed round is reported, not hidden
