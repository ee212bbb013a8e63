"""What every `net119` command checks as it starts: the secret key, one database for all, the mail relay."""
import multiprocessing
import os
import queue
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from app.cli import main
from app.config import SettingsError, check_settings, operator_settings
from app.extensions import db
from app.mail.outbox import send_mail
from app.models import Headquarters

from .conftest import ROOT, _die_with_parent, free_port
from .test_cli import _first_lines_of, _net119
from .test_registration import Sink

# Long enough not to be warned of: these tests are about everything else.
GOOD_KEY = "operator-test-" + "0123456789abcdef" * 3
MAKE_A_SECRET = "secrets.token_hex(32)"


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """This test's NET119_* settings on a database file of its own (not made yet); returns its path."""
    path = tmp_path / "net119.sqlite3"
    monkeypatch.setenv("NET119_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("NET119_SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("NET119_SPEECH_PREPARE_ON_START", "false")
    return path


def migrated(path):
    assert CliRunner().invoke(main, ["migrate"]).exit_code == 0
    return path


def in_both_languages(output, *words):
    for word in words:
        assert word in output, output
    assert "Traceback" not in output, output


# --- the secret key -----------------------------------------------------------------------------

@pytest.fixture
def no_settings(monkeypatch):
    """No NET119_* variable: SECRET_KEY unset, so the instance folder's file is used."""
    for name in [name for name in os.environ if name.startswith("NET119_")]:
        monkeypatch.delenv(name)


def _instance_settings(instance):
    """The settings as `net119` reads them with ``instance`` as the instance folder."""
    return check_settings(operator_settings(str(instance)), os.environ)


@pytest.mark.parametrize("content", ["", "\n", "   \n", "abc123", "x" * 31])
def test_an_instance_secret_key_file_too_short_to_be_a_key_is_refused_and_left_as_it_is(tmp_path, no_settings,
                                                                                          content):
    # An empty file (a full disk, a copy cut short) used to be taken as it was: everything
    # signed with an empty key. It is never replaced here: a server may be using it now.
    key_file = tmp_path / "secret_key"
    key_file.write_text(content)
    with pytest.raises(SettingsError) as refused:
        _instance_settings(tmp_path)
    message = str(refused.value)
    in_both_languages(message, f"SECRET_KEY ({key_file})", "削除", "delete", "32", MAKE_A_SECRET)
    assert key_file.read_text() == content


def test_an_instance_secret_key_is_made_once_whole_and_readable_by_this_user_only(tmp_path, no_settings):
    made = _instance_settings(tmp_path)["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert len(made) == 64 and key_file.read_text() == made
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert _instance_settings(tmp_path)["SECRET_KEY"] == made
    assert sorted(path.name for path in tmp_path.iterdir()) == ["secret_key"]  # no half-made file left


def _take_the_key(instance, start, keys):
    start.wait()
    keys.put(_instance_settings(instance)["SECRET_KEY"])


def test_processes_starting_together_all_take_the_one_key_made(tmp_path, no_settings):
    # serve and intake started at once: the one reading the file while the other wrote it
    # used to read an empty key, or each wrote a key of its own.
    context = multiprocessing.get_context("fork")
    start, keys = context.Barrier(8), context.Queue()
    processes = [context.Process(target=_take_the_key, args=(tmp_path, start, keys)) for _ in range(8)]
    for process in processes:
        process.start()
    taken = [keys.get(timeout=30) for _ in processes]
    for process in processes:
        process.join(10)
    assert len(set(taken)) == 1 and len(taken[0]) == 64
    assert (tmp_path / "secret_key").read_text() == taken[0]


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_secret_key_setting_is_refused(settings, monkeypatch, value):
    # NET119_SECRET_KEY=$KEY with KEY unset was taken for "unset" (""), or as a key of spaces.
    monkeypatch.setenv("NET119_SECRET_KEY", value)
    answer = CliRunner().invoke(main, ["migrate"])
    assert answer.exit_code == 1, answer.output
    in_both_languages(answer.output, "NET119_SECRET_KEY", "空です", "is empty", MAKE_A_SECRET)
    assert not settings.exists()


def test_a_short_secret_key_setting_is_warned_of_at_start(settings, monkeypatch):
    monkeypatch.setenv("NET119_SECRET_KEY", "short-key")
    answer = CliRunner().invoke(main, ["migrate"])
    assert answer.exit_code == 0, answer.output
    in_both_languages(answer.output, "警告", "NET119_SECRET_KEY", "shorter than 32", MAKE_A_SECRET)
    assert "short-key" not in answer.output  # a secret is never repeated


# --- one database for every command --------------------------------------------------------------

@pytest.mark.parametrize("url", ["sqlite:///net119.sqlite3", "sqlite:///data/net119.sqlite3", "sqlite:///:memory:",
                                 "sqlite://net119.sqlite3"])
def test_a_relative_sqlite_path_is_refused_with_the_absolute_one_to_write(tmp_path, url):
    # Each command used to open the file relative to the folder it started in: `net119 serve` from
    # one folder and `net119 outbox` from another used two databases, without a word.
    (tmp_path / "data").mkdir()
    answer = subprocess.run([sys.executable, "-m", "app", "migrate"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60, env={**os.environ, "NET119_DATABASE_URL": url, "NET119_SECRET_KEY": GOOD_KEY},
                            preexec_fn=_die_with_parent)
    assert answer.returncode == 1, answer.stderr
    in_both_languages(answer.stderr, "NET119_DATABASE_URL", "絶対パス", "absolute path", "sqlite:////")
    if url.startswith("sqlite:///") and ":memory:" not in url:
        assert f"sqlite:///{tmp_path / url.removeprefix('sqlite:///')}" in answer.stderr
    assert not list(tmp_path.rglob("*.sqlite3*")), "a database was made in the folder the command started in"


def test_a_relative_sqlite_path_in_the_instance_file_is_refused_too(tmp_path, no_settings):
    (tmp_path / "net119.cfg").write_text('DATABASE_URL = "sqlite:///net119.sqlite3"\n'
                                         'PRACTICE_DATABASE_URL = "sqlite:///practice.sqlite3"\n')
    with pytest.raises(SettingsError) as refused:
        check_settings(operator_settings(str(tmp_path)), {})
    message = str(refused.value)
    assert "NET119_DATABASE_URL" in message and "NET119_PRACTICE_DATABASE_URL" in message
    assert "absolute path" in message


def _database_line(output):
    return next((line for line in output.splitlines() if "database:" in line), None)


def test_every_command_names_the_absolute_database_path_first(settings, tmp_path):
    """So that a serve, an intake and an outbox meant to share a database can be seen to."""
    migrated(settings)
    relay = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    relay.start()
    try:
        env = {"NET119_MAIL_RELAY": f"127.0.0.1:{relay.port}"}
        outputs = {
            "migrate": _net119("migrate")[1],
            "hq export": _net119("hq", "export", "-o", str(tmp_path / "hq.csv"))[1],
            "outbox": _first_lines_of(["outbox", "--once"], until="database:", settings=env)[0],
            "intake": _first_lines_of(["intake", "--port", str(free_port())], until="database:", settings=env)[0],
            "serve": _first_lines_of(["serve", "--port", str(free_port())], until="database:", settings=env)[0],
        }
    finally:
        relay.stop()
    for command, output in outputs.items():
        assert _database_line(output) == f"データベース / database: {settings}", (command, output)


def test_the_demo_names_its_absolute_database_path(tmp_path):
    data = tmp_path / "demo"
    output, _ = _first_lines_of(["demo", "--data", str(data), "--port", str(free_port())], until="database:",
                                seconds=60)
    assert _database_line(output) == f"データベース / database: {data / 'net119.sqlite3'}", output


@pytest.mark.parametrize("command", [["serve", "--port", "{port}"], ["intake", "--port", "{port}"],
                                     ["outbox", "--once"], ["hq", "export"]])
def test_a_database_file_that_is_not_there_is_named_and_not_made(settings, monkeypatch, command):
    # SQLite used to make an empty file at the path (in the folder a relative URL pointed to), and
    # then say it needed migrating, or (the outbox) fail every round for ever.
    monkeypatch.setenv("NET119_MAIL_RELAY", f"127.0.0.1:{free_port()}")
    port = str(free_port())
    code, stderr, _ = _net119(*(part.format(port=port) for part in command), timeout=30)
    assert code == 1, stderr
    in_both_languages(stderr, str(settings), "ありません", "there is no database", "net119 migrate")
    assert not settings.exists()


# --- the outbox at start ------------------------------------------------------------------------

def _outbox_env(app, relay):
    return {**os.environ, "NET119_DATABASE_URL": app.config["DATABASE_URL"], "NET119_SECRET_KEY": GOOD_KEY,
            "NET119_MAIL_RELAY": relay}


class _Lines:
    """The stderr of a running process, line by line, as it comes."""

    def __init__(self, process):
        self._lines, self.seen, self._stream = queue.Queue(), [], process.stderr
        self._reader = threading.Thread(target=lambda: [self._lines.put(line) for line in process.stderr], daemon=True)
        self._reader.start()

    def close(self):
        """Once the process ended."""
        self._reader.join(10)
        self._stream.close()

    def until(self, words, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.seen.append(self._lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
            if words in self.seen[-1]:
                return self.seen[-1]
        return None


def test_the_outbox_warns_of_a_relay_that_is_down_and_sends_once_it_is_up(app):
    """Warned, not refused: retrying is the outbox's job, and at boot the relay may come up after it."""
    port = free_port()
    outbox = subprocess.Popen([sys.executable, "-m", "app", "outbox", "--every", "1"], cwd=ROOT,
                              env=_outbox_env(app, f"127.0.0.1:{port}"), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)
    lines, sink, relay = _Lines(outbox), Sink(), None
    try:
        warning = lines.until("NET119_MAIL_RELAY", seconds=30)
        assert warning is not None, "".join(lines.seen)
        in_both_languages(warning, f"127.0.0.1:{port}", "接続できません", "cannot be reached", "outbox")
        relay = Controller(sink, hostname="127.0.0.1", port=port)
        relay.start()
        with app.app_context(), db.connection_context():
            app.config["MAIL_RELAY"] = None  # stored only: the outbox is to send it
            send_mail("later@docomo.ne.jp", "application_received", hq=Headquarters.get(code="chitose"))
        deadline = time.monotonic() + 15
        while not sink.messages_to("later@docomo.ne.jp") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert outbox.poll() is None, "".join(lines.seen)
        assert len(sink.messages_to("later@docomo.ne.jp")) == 1
    finally:
        outbox.terminate()
        outbox.wait(10)
        lines.close()
        if relay:
            relay.stop()


def test_the_outbox_warns_of_a_relay_that_does_not_speak_smtp(app):
    # Port 465 (TLS from the first byte), or another service on the port: every mail would fail.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        relay = f"127.0.0.1:{silent.getsockname()[1]}"
        output, _ = _first_lines_of(["outbox", "--once"], until="SMTP", settings=_outbox_env(app, relay))
    in_both_languages(output, f"NET119_MAIL_RELAY（{relay}）", "SMTP で応答しません", "does not answer as an SMTP relay")


def test_the_outbox_without_a_relay_is_refused_in_both_languages(settings):
    migrated(settings)
    answer = CliRunner().invoke(main, ["outbox", "--once"])
    assert answer.exit_code == 1, answer.output
    in_both_languages(answer.output, "NET119_MAIL_RELAY", "設定してください", "host:port", "smtp.example.jp:25")


def test_the_outbox_refuses_a_database_never_migrated(settings, monkeypatch):
    # It used to start and fail every round for ever ("no such table: outgoingmail").
    monkeypatch.setenv("NET119_MAIL_RELAY", f"127.0.0.1:{free_port()}")
    sqlite3.connect(settings).close()
    code, stderr, _ = _net119("outbox", "--every", "1", timeout=15)
    assert code == 1, stderr
    in_both_languages(stderr, "net119 migrate", "マイグレーション", "001_initial")
