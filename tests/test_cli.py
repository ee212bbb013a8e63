"""The net119 command: migrate, HQ import/export, speak, speech prune."""
import ctypes
import os
import queue
import resource
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import miniaudio
import pytest
from click.testing import CliRunner

from app.cli import main
from app.extensions import db
from app.hq_csv import read_csv
from app.dispatch.phrases import DEFAULT_PHRASES
from app.models import CannedPhrase, Headquarters, Jurisdiction

from .conftest import ROOT, _die_with_parent, free_port

GOOD_CSV = "code,name,phone,fax,uses_service,municipalities\nchitose,千歳市消防本部,000-0000-0101,,yes,01224\n"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run `net119 ...` against a fresh database file named by NET119_DATABASE_URL."""
    monkeypatch.setenv("NET119_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("NET119_SECRET_KEY", "cli-test")
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    assert "applied: 001_initial" in run("migrate").output
    return run


def hq_count():
    with db.connection_context():
        return Headquarters.select().count(), Jurisdiction.select().count()


def test_migrate_twice_is_a_no_op(cli):
    assert "up to date" in cli("migrate").output


def test_hq_import_then_export_round_trips(cli, tmp_path):
    source = ROOT / "app" / "data" / "headquarters_demo.csv"
    result = cli("hq", "import", str(source))
    assert result.exit_code == 0 and "imported 8 headquarters" in result.output
    exported = tmp_path / "out.csv"
    cli("hq", "export", "-o", str(exported))
    by_code = lambda rows: sorted(rows, key=lambda row: row.code)  # noqa: E731
    assert by_code(read_csv(exported).rows) == by_code(read_csv(source).rows)


def test_a_new_hq_starts_with_the_default_canned_phrases_and_an_existing_one_keeps_its_own(cli, tmp_path):
    cli("hq", "import", str(_write(tmp_path, GOOD_CSV)))
    with db.connection_context():
        chitose = Headquarters.get(Headquarters.code == "chitose")
        assert [p.text for p in CannedPhrase.of(chitose)] == list(DEFAULT_PHRASES)
        CannedPhrase.delete().where(CannedPhrase.hq == chitose).execute()
    cli("hq", "import", str(_write(tmp_path, GOOD_CSV + "eniwa,恵庭市消防本部,,,yes,01231\n")))
    with db.connection_context():
        assert CannedPhrase.of(Headquarters.get(Headquarters.code == "chitose")).count() == 0
        assert CannedPhrase.of(Headquarters.get(Headquarters.code == "eniwa")).count() == len(DEFAULT_PHRASES)


def test_hq_import_of_a_bad_file_reports_every_line_and_changes_nothing(cli, tmp_path):
    cli("hq", "import", str(_write(tmp_path, GOOD_CSV)))
    before = hq_count()
    bad = _write(tmp_path, GOOD_CSV + "eniwa,恵庭市消防本部,,,maybe,01231\nsapporo,札幌市消防局,,,yes,1100\n")
    result = cli("hq", "import", str(bad))
    assert result.exit_code == 1
    assert "3行目" in result.output and "4行目" in result.output
    assert hq_count() == before


def test_speak_writes_a_playable_mp3(cli, tmp_path):
    out = tmp_path / "card.mp3"
    result = cli("speak", "私は耳が聞こえません。代わりに119番に電話してください。", "-o", str(out))
    assert result.exit_code == 0, result.output
    decoded = miniaudio.decode(out.read_bytes())
    seconds = decoded.num_frames / decoded.sample_rate
    assert 2.0 < seconds < 15.0


def test_speech_prune_removes_card_audio_unused_for_the_keep_time_and_keeps_the_shared_sentences(
        cli, tmp_path, monkeypatch):
    cache = tmp_path / "speech-cache"
    monkeypatch.setenv("NET119_SPEECH_CACHE_DIR", str(cache))
    monkeypatch.setenv("NET119_SPEECH_CACHE_KEEP", str(7 * 24 * 3600))
    (cache / "audio").mkdir(parents=True)
    (cache / "sentences").mkdir()
    old, recent, sentence = cache / "audio" / "old.mp3", cache / "audio" / "recent.mp3", cache / "sentences" / "s.pcm"
    for path, days in ((old, 8), (recent, 6), (sentence, 400)):
        path.write_bytes(bytes(2000))
        then = time.time() - days * 24 * 3600
        os.utime(path, (then, then))

    result = cli("speech", "prune")

    assert result.exit_code == 0, result.output
    assert not old.exists() and recent.exists() and sentence.exists()
    assert "removed 1 file" in result.output and "kept 1 card" in result.output


def _write(tmp_path, text):
    path = tmp_path / f"hq-{len(text)}.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_port_out_of_range_is_refused_with_the_range(tmp_path):
    answer = CliRunner().invoke(main, ["demo", "--port", "99999", "--data", str(tmp_path / "demo")])
    assert answer.exit_code == 2 and "99999 is not in the range 1<=x<=65535" in answer.output
    assert not (tmp_path / "demo").exists()  # refused before anything was made


def test_a_demo_data_directory_that_cannot_be_made_is_explained(tmp_path):
    (tmp_path / "a-file").write_text("")
    answer = CliRunner().invoke(main, ["demo", "--data", str(tmp_path / "a-file" / "demo")])
    assert answer.exit_code == 1 and "cannot use" in answer.output and "Not a directory" in answer.output
    assert "Traceback" not in answer.output


@pytest.mark.parametrize("url", ["mysql://net119:s3cret@db/net119", "net119.sqlite3", "sqlite:net119.sqlite3"])
def test_a_database_url_it_cannot_use_is_explained_without_its_password(monkeypatch, url):
    monkeypatch.setenv("NET119_DATABASE_URL", url)
    answer = CliRunner().invoke(main, ["migrate"])
    assert answer.exit_code == 1, answer.output
    assert "(NET119_DATABASE_URL) must be sqlite:///" in answer.output and "s3cret" not in answer.output


def test_serve_refuses_a_database_that_was_never_migrated(tmp_path, monkeypatch):
    sqlite3.connect(tmp_path / "empty.sqlite3").close()  # a file without the schema (none at all: test_operator_*)
    monkeypatch.setenv("NET119_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    monkeypatch.setenv("NET119_GEVENT", "1")  # as after `serve` re-executed itself: no exec here
    answer = CliRunner().invoke(main, ["serve", "--port", str(free_port())])
    assert answer.exit_code == 1 and "needs `net119 migrate` first" in answer.output
    assert "001_initial" in answer.output


def test_serve_starts_on_a_database_that_is_down_and_says_so(tmp_path):
    """An outage at start is served (503 pages with the other ways to call), not refused."""
    path = tmp_path / "missing" / "x.sqlite3"
    env = {**os.environ, "NET119_DATABASE_URL": f"sqlite:///{path}",
           "NET119_SECRET_KEY": "cli-test-" + "0" * 32, "NET119_SPEECH_PREPARE_ON_START": "false"}
    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(free_port())], cwd=ROOT,
                              env=env, stderr=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)
    try:
        assert server.stderr.readline() == f"データベース / database: {path}\n"
        warning = server.stderr.readline()
        assert "warning: the database cannot be reached now" in warning and "503" in warning
        # (after the other warnings of a start: here, that mail stays in the outbox)
        assert any("Starting gunicorn" in server.stderr.readline() for _ in range(3))
    finally:
        server.terminate()
        server.wait(10)
        server.stderr.close()


@pytest.mark.parametrize("first, second, ja, en", [
    # The unique index on the municipality used to end this import in an IntegrityError traceback.
    (GOOD_CSV, "code,name,phone,fax,uses_service,municipalities\neniwa,恵庭市消防本部,,,yes,01231 01224\n",
     "01224 は登録済みの「chitose」（千歳市消防本部）の管轄です", "01224 is already covered by 'chitose'"),
    # Two imports used to build what one file is refused for: a ward taken from the whole city.
    ("code,name,phone,fax,uses_service,municipalities\ntokyo,東京消防庁,,,yes,13100\n",
     "code,name,phone,fax,uses_service,municipalities\nshinjuku,新宿消防署,,,yes,13104\n",
     "13104（13100 に含まれます） は登録済みの「tokyo」", "13104 (inside 13100) is already covered by 'tokyo'"),
    ("code,name,phone,fax,uses_service,municipalities\nshinjuku,新宿消防署,,,yes,13104\n",
     "code,name,phone,fax,uses_service,municipalities\ntokyo,東京消防庁,,,yes,13100\n",
     "13104（13100 の区） は登録済みの「shinjuku」", "13104 (a ward of 13100) is already covered by 'shinjuku'"),
])
def test_a_municipality_another_hq_already_covers_is_refused_plainly_and_changes_nothing(
        cli, tmp_path, first, second, ja, en):
    cli("hq", "import", str(_write(tmp_path, first)))
    before = hq_count()
    result = CliRunner().invoke(main, ["hq", "import", str(_write(tmp_path, second))])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "2行目" in result.output and ja in result.output and en in result.output
    assert hq_count() == before


def test_a_municipality_moves_when_both_hqs_are_in_the_file(cli, tmp_path):
    cli("hq", "import", str(_write(tmp_path, GOOD_CSV)))
    moved = ("code,name,phone,fax,uses_service,municipalities\n"
             "chitose,千歳市消防本部,,,yes,01231\neniwa,恵庭市消防本部,,,yes,01224\n")
    assert cli("hq", "import", str(_write(tmp_path, moved))).exit_code == 0
    with db.connection_context():
        assert Jurisdiction.get(Jurisdiction.municipality_code == "01224").hq.code == "eniwa"


def test_a_field_too_large_for_the_csv_reader_is_an_error_not_a_traceback(cli, tmp_path):
    huge = GOOD_CSV.replace("01224", "01224 " + "0" * 200_000)
    result = CliRunner().invoke(main, ["hq", "import", str(_write(tmp_path, huge))])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "2行目" in result.output and "line 2" in result.output


@pytest.mark.parametrize("command", [["hq", "import"], ["hq", "export"]])
def test_hq_commands_on_a_database_never_migrated_say_so(tmp_path, monkeypatch, command):
    # They used to end in OperationalError('no such table: headquarters').
    monkeypatch.setenv("NET119_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    monkeypatch.setenv("NET119_SECRET_KEY", "cli-test")
    args = command + ([str(_write(tmp_path, GOOD_CSV))] if command[1] == "import" else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "net119 migrate" in result.output and "マイグレーション" in result.output


def _listening_elsewhere():
    """A socket of another program, listening on a port of 127.0.0.1."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder


def _net119(*args, timeout=60):
    """`net119 ARGS` as a process of its own, on this test's NET119_* settings; (exit code, stderr, seconds)."""
    started = time.monotonic()
    try:
        answer = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True,
                                timeout=timeout, env={**os.environ, "NET119_SPEECH_PREPARE_ON_START": "false"},
                                preexec_fn=_die_with_parent)
    except subprocess.TimeoutExpired as expired:
        return None, expired.stderr.decode() if expired.stderr else "", time.monotonic() - started
    return answer.returncode, answer.stderr, time.monotonic() - started


@pytest.mark.parametrize("command", ["serve", "intake"])
def test_a_port_in_use_is_refused_at_once_in_both_languages(cli, command):
    # serve used to retry for 5 s and end in gunicorn's "Can't connect"; intake in an OSError traceback.
    with _listening_elsewhere() as holder:
        port = holder.getsockname()[1]
        code, stderr, seconds = _net119(command, "--port", str(port))
    assert code == 1, stderr
    assert f"127.0.0.1:{port}" in stderr and "使用中" in stderr and "in use" in stderr and "--port" in stderr
    assert "Traceback" not in stderr and seconds < 4


def test_a_host_that_is_no_address_of_this_machine_is_refused_in_both_languages(cli):
    code, stderr, _ = _net119("serve", "--host", "no-such-host.invalid", "--port", str(free_port()))
    assert code == 1, stderr
    assert "--host" in stderr and "no-such-host.invalid" in stderr and "Traceback" not in stderr
    assert "ホスト" in stderr and "host" in stderr


@pytest.mark.parametrize("option", ["--port", "--mail-port"])
def test_the_demo_refuses_a_port_in_use_before_making_anything(tmp_path, option):
    # With --port taken, the demo used to seed, start its intake and print its accounts, then fail;
    # with --mail-port taken it served with no intake at all (the other program answered its check).
    data = tmp_path / "demo"
    with _listening_elsewhere() as holder:
        port = holder.getsockname()[1]
        ports = {"--port": str(free_port()), "--mail-port": str(free_port()), option: str(port)}
        code, stderr, _ = _net119("demo", "--data", str(data), *(part for pair in ports.items() for part in pair))
    assert code == 1, stderr
    assert f":{port}" in stderr and "使用中" in stderr and option in stderr and "Traceback" not in stderr
    assert not (data / "demo-accounts.json").exists()


def _sqlite_settings(monkeypatch, path):
    monkeypatch.setenv("NET119_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("NET119_SECRET_KEY", "cli-test")


def _plainly_refused(answer_code, output):
    assert answer_code == 1, output
    assert "Traceback" not in output


def test_a_file_that_is_no_sqlite_database_is_refused_by_every_command(tmp_path, monkeypatch):
    # migrate used to end in a DatabaseError traceback, serve to start and answer 503 for ever
    # (as if the database were only down), hq export to say it "cannot be reached".
    path = tmp_path / "net119.sqlite3"
    path.write_bytes(os.urandom(20_000))
    _sqlite_settings(monkeypatch, path)
    for command in (["migrate"], ["hq", "export"]):
        answer = CliRunner().invoke(main, command)
        _plainly_refused(answer.exit_code, answer.output)
        assert str(path) in answer.output and "壊れて" in answer.output and "damaged" in answer.output, answer.output
    code, stderr, _ = _net119("serve", "--port", str(free_port()), timeout=30)
    _plainly_refused(code, stderr)
    assert "壊れて" in stderr and "damaged" in stderr
    assert path.stat().st_size == 20_000  # nothing written into it


def test_a_database_migrated_by_a_newer_version_is_refused(cli, tmp_path):
    # It used to be served as it was ("the database is up to date"), by code that does not know its schema.
    with db.connection_context():
        db.execute_sql("INSERT INTO migratehistory (name, migrated_at) VALUES ('999_from_the_future', '2027-01-01')")
    for command in (["migrate"], ["hq", "export"]):
        answer = CliRunner().invoke(main, command)
        _plainly_refused(answer.exit_code, answer.output)
        assert "999_from_the_future" in answer.output and "新しい" in answer.output and "newer" in answer.output
    code, stderr, _ = _net119("serve", "--port", str(free_port()), timeout=30)
    _plainly_refused(code, stderr)
    assert "999_from_the_future" in stderr and "newer" in stderr


def test_migrate_names_the_file_whose_folder_does_not_exist_in_both_languages(tmp_path, monkeypatch):
    path = tmp_path / "missing" / "net119.sqlite3"
    _sqlite_settings(monkeypatch, path)
    answer = CliRunner().invoke(main, ["migrate"])
    _plainly_refused(answer.exit_code, answer.output)
    assert str(path) in answer.output and "フォルダー" in answer.output and "folder" in answer.output


def test_migrate_says_another_process_holds_the_database(tmp_path, monkeypatch):
    path = tmp_path / "net119.sqlite3"
    _sqlite_settings(monkeypatch, path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=wal")
    holder.execute("BEGIN IMMEDIATE")  # as a migrate or a server writing would
    try:
        answer = CliRunner().invoke(main, ["migrate"])
    finally:
        holder.close()
    _plainly_refused(answer.exit_code, answer.output)
    assert "別のプロセス" in answer.output and "another process" in answer.output and str(path) in answer.output


def test_the_demo_explains_a_full_disk(tmp_path):
    # A file size limit makes the disk "full" for this process alone; it used to end in
    # "cannot rollback - no transaction is active", a traceback hiding the cause.
    data = tmp_path / "demo"
    started = subprocess.run(
        [sys.executable, "-m", "app", "demo", "--data", str(data), "--port", str(free_port())], cwd=ROOT,
        capture_output=True, text=True, timeout=60, env={**os.environ, "NET119_SPEECH_PREPARE_ON_START": "false"},
        preexec_fn=lambda: (_die_with_parent(), resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))))
    _plainly_refused(started.returncode, started.stderr)
    assert "--data" in started.stderr and "いっぱい" in started.stderr and "full" in started.stderr


def _first_lines_of(command, *, until, settings=(), seconds=30):
    """Start `net119 COMMAND` on this test's settings, read its stderr until a line holds ``until``; stop it."""
    env = {**os.environ, "NET119_SPEECH_PREPARE_ON_START": "false", **dict(settings)}
    process = subprocess.Popen([sys.executable, "-m", "app", *command], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stderr], daemon=True)
    reader.start()
    seen = []
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
            if until in seen[-1]:
                break
    finally:
        process.terminate()
        process.wait(10)
        reader.join(10)
        process.stderr.close()
    return "".join(seen), process.returncode


@pytest.mark.parametrize("command, started", [(["serve"], "Starting gunicorn"), (["intake"], "")])
def test_a_mail_relay_that_cannot_be_reached_is_warned_of_at_start(cli, command, started):
    # A typo in the relay's name used to show nowhere until a resident's application link never came.
    port = free_port()
    output, _ = _first_lines_of(command + ["--port", str(port)], until=started or "NET119_MAIL_RELAY",
                                settings={"NET119_MAIL_RELAY": "no-such-relay.invalid:25"}, seconds=15)
    assert "NET119_MAIL_RELAY" in output and "no-such-relay.invalid:25" in output, output
    assert "メール" in output and "mail" in output and "Traceback" not in output


def test_serve_without_a_mail_relay_says_that_mail_stays_in_the_outbox(cli):
    output, _ = _first_lines_of(["serve", "--port", str(free_port())], until="Starting gunicorn")
    assert "NET119_MAIL_RELAY" in output and "送信箱" in output and "outbox" in output, output


def test_serve_on_postgresql_without_a_secret_key_is_refused(tmp_path, monkeypatch):
    # Each process would make its own key: a form loaded from one and sent to another fails (README).
    monkeypatch.delenv("NET119_SECRET_KEY", raising=False)
    monkeypatch.setenv("NET119_DATABASE_URL", "postgresql://net119@127.0.0.1:1/net119")
    code, stderr, _ = _net119("serve", "--port", str(free_port()), timeout=30)
    _plainly_refused(code, stderr)
    assert "NET119_SECRET_KEY" in stderr and "秘密鍵" in stderr and "secret" in stderr


@pytest.mark.parametrize("command", [["hq", "export", "-o", "{missing}/hq.csv"],
                                     ["speak", "テスト", "-o", "{missing}/card.mp3"]])
def test_an_output_file_in_a_folder_that_does_not_exist_is_explained(cli, tmp_path, command):
    missing = tmp_path / "missing"
    answer = CliRunner().invoke(main, [part.format(missing=missing) for part in command])
    _plainly_refused(answer.exit_code, answer.output)
    assert isinstance(answer.exception, SystemExit), repr(answer.exception)
    assert str(missing) in answer.output and "書き込めません" in answer.output and "cannot write" in answer.output


def test_speak_without_text_is_a_usage_error(cli):
    answer = CliRunner().invoke(main, ["speak", " ", "-o", "card.mp3"])
    assert answer.exit_code == 2 and isinstance(answer.exception, SystemExit), repr(answer.exception)
    assert "TEXT" in answer.output


def test_a_csv_separated_by_semicolons_is_named_as_such(cli, tmp_path):
    # Excel in some locales saves "CSV" with semicolons; the header error alone did not say why.
    answer = CliRunner().invoke(main, ["hq", "import", str(_write(tmp_path, GOOD_CSV.replace(",", ";")))])
    assert answer.exit_code == 1
    assert "コンマ" in answer.output and "comma" in answer.output


@pytest.mark.parametrize("problem", ["never migrated", "newer"])
def test_intake_refuses_a_database_it_cannot_answer_from(tmp_path, monkeypatch, problem):
    # It used to start, and fail on each mail that came in.
    path = tmp_path / "intake.sqlite3"
    _sqlite_settings(monkeypatch, path)
    if problem == "newer":
        assert CliRunner().invoke(main, ["migrate"]).exit_code == 0
        with sqlite3.connect(path) as database:
            database.execute("INSERT INTO migratehistory (name, migrated_at) VALUES ('999_from_the_future', '')")
    code, stderr, _ = _net119("intake", "--port", str(free_port()), timeout=15)
    _plainly_refused(code, stderr)
    assert "net119 migrate" in stderr if problem == "never migrated" else "999_from_the_future" in stderr


def test_serve_refuses_a_postgresql_database_that_refuses_it(postgres_server, monkeypatch):
    """A database that does not exist will not come back by itself: no 503 for ever, but a refusal at start."""
    monkeypatch.setenv("NET119_DATABASE_URL", postgres_server.url("no_such_database"))
    monkeypatch.setenv("NET119_SECRET_KEY", "cli-test")
    code, stderr, _ = _net119("serve", "--port", str(free_port()), timeout=30)
    _plainly_refused(code, stderr)
    assert "no_such_database" in stderr and "NET119_DATABASE_URL" in stderr and "断りました" in stderr


def test_the_demo_never_deletes_a_database_it_did_not_make(tmp_path):
    # `net119 demo --data instance` used to delete the deployment's own instance/net119.sqlite3.
    data = tmp_path / "instance"
    data.mkdir()
    (data / "net119.sqlite3").write_bytes(b"the deployment's reports")
    code, stderr, _ = _net119("demo", "--data", str(data), "--port", str(free_port()), timeout=30)
    _plainly_refused(code, stderr)
    assert (data / "net119.sqlite3").read_bytes() == b"the deployment's reports"
    assert "--data" in stderr and "削除" in stderr and "delete" in stderr


def test_a_port_below_1024_without_the_right_to_it_is_explained(cli):
    # Dropping CAP_NET_BIND_SERVICE makes this root-run test an operator without it; gunicorn used to
    # retry for 5 s and end in "Can't connect".
    def without_low_ports():
        _die_with_parent()
        assert ctypes.CDLL("libc.so.6").prctl(24, 10, 0, 0, 0) == 0  # PR_CAPBSET_DROP, CAP_NET_BIND_SERVICE

    answer = subprocess.run([sys.executable, "-m", "app", "serve", "--port", "1023"], cwd=ROOT, capture_output=True,
                            text=True, timeout=30, env={**os.environ, "NET119_SPEECH_PREPARE_ON_START": "false"},
                            preexec_fn=without_low_ports)
    _plainly_refused(answer.returncode, answer.stderr)
    assert "127.0.0.1:1023" in answer.stderr and "1024" in answer.stderr and "権限" in answer.stderr


def test_a_mail_relay_that_does_not_speak_smtp_is_warned_of_at_start(cli):
    # Port 465 (TLS from the first byte), or another service on the port: a plain connection used
    # to pass the start's check, and every mail then failed.
    with _listening_elsewhere() as silent:
        relay = f"127.0.0.1:{silent.getsockname()[1]}"
        output, _ = _first_lines_of(["serve", "--port", str(free_port())], until="Starting gunicorn",
                                    settings={"NET119_MAIL_RELAY": relay})
    assert f"NET119_MAIL_RELAY（{relay}）" in output and "SMTP" in output, output


def test_an_access_log_that_cannot_be_written_is_named(cli, tmp_path, monkeypatch):
    # gunicorn used to answer "Error: Error: '…' isn't writable", naming no setting.
    monkeypatch.setenv("NET119_ACCESS_LOG", str(tmp_path / "missing" / "access.log"))
    code, stderr, _ = _net119("serve", "--port", str(free_port()), timeout=30)
    _plainly_refused(code, stderr)
    assert "NET119_ACCESS_LOG" in stderr and "書き込めません" in stderr and "cannot write" in stderr
