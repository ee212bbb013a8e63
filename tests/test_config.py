"""The operator's settings: one that cannot work stops the command at start, named, in Japanese and English."""
from datetime import timedelta

import pytest
from click.testing import CliRunner

from app.cli import configured_app, main


@pytest.fixture
def net119(tmp_path, monkeypatch):
    """Run `net119 ARGS` with these NET119_* settings, on a database file of this test's own."""
    database = tmp_path / "config.sqlite3"
    monkeypatch.setenv("NET119_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("NET119_SECRET_KEY", "config-test")

    def run(*args, **settings):
        for name, value in settings.items():
            monkeypatch.setenv(f"NET119_{name}", value)
        result = CliRunner().invoke(main, list(args))
        result.database_made = database.exists()
        return result
    return run


def refused(result, name):
    """The command stopped with a plain message naming NET119_<name>, in both languages, before any work."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # not a traceback
    assert f"NET119_{name}" in result.output
    assert "設定" in result.output and "setting" in result.output
    assert not result.database_made, "the command went on to the database"
    return result.output


@pytest.mark.parametrize("name, value, advice", [
    # Each of these used to be taken as it was, and failed later: at the first message, the first
    # mail, the first card, or never visibly at all.
    ("MAX_MESSAGE_CHARS", "abc", "whole number"),
    ("MAX_MESSAGE_CHARS", "0", "at least 1"),
    ("NOSCRIPT_REFRESH_SECONDS", "-5", "at least 1"),
    ("UNSEEN_REPORT_SECONDS", "thirty", "whole number"),
    ("TRUSTED_PROXY_HOPS", "-1", "at least 0"),
    ("TRUSTED_PROXY_HOPS", "one", "whole number"),
    ("STAFF_SESSION_LIFETIME", "14h", "seconds"),
    ("RESIDENT_SESSION_LIFETIME", "0", "seconds"),
    ("APPLICATION_LINK_MAX_AGE", "-1", "seconds"),
    ("ACTIVATION_LINK_MAX_AGE", "7d", "seconds"),
    ("SPEECH_CACHE_KEEP", "30 days", "seconds"),
    ("SPEECH_CACHE_KEEP", "-60", "seconds"),
    ("SPEECH_CACHE_MAX_BYTES", "2GB", "bytes"),
    ("SPEECH_CACHE_MAX_BYTES", "-1", "bytes"),
    ("INTAKE_LIMIT_PER_SENDER", "5", "[5, 3600]"),
    ("INTAKE_LIMIT_PER_HQ", "[300]", "[300, 3600]"),
    ("MAILBOX_PAGE", "maybe", "true or false"),
    ("SPEECH_PREPARE_ON_START", "sometimes", "true or false"),
    ("SESSION_COOKIE_SECURE", "perhaps", "true or false"),
    ("PUBLIC_URL", "net119.example.jp", "https://"),
    ("PUBLIC_URL", "ftp://net119.example.jp", "https://"),
    ("MAIL_RELAY", "smtp.example.jp", "host:port"),
    ("MAIL_RELAY", "smtp.example.jp:smtp", "host:port"),
    ("MAIL_RELAY", "smtp.example.jp:70000", "host:port"),
    ("MAIL_DOMAIN", "net119@example.jp", "domain"),
    ("MAIL_DOMAIN", "", "domain"),
    ("MAIL_FROM", "NET119 no-reply", "address"),
    ("SECRET_KEY", "12345", "random text"),
    ("TILE_URL", "https://tiles.example.jp/std.png", "{z}/{x}/{y}"),
    ("ALLOWED_ORIGINS", '["https://net119.example.jp/dispatch"]', "https://net119.example.jp"),
    ("SPEECH_ENGINES", '{"ja": ["openjtak"]}', "openjtalk"),
    ("SPEECH_ENGINES", '["openjtalk"]', '{"ja": ["openjtalk"]'),
    ("DATABASE_URL", "postgresql://net119@db.example.jp:five/net119", "port"),
])
def test_a_setting_that_cannot_work_stops_the_command_at_start(net119, name, value, advice):
    output = refused(net119("migrate", **{name: value}), name)
    assert advice in output


def test_every_setting_that_cannot_work_is_named_at_once(net119):
    output = refused(net119("migrate", MAX_MESSAGE_CHARS="abc", MAIL_RELAY="smtp.example.jp"), "MAX_MESSAGE_CHARS")
    assert "NET119_MAIL_RELAY" in output


@pytest.mark.parametrize("name, suggestion", [
    # A typo used to be ignored without a word: the service ran on the default, here a local
    # SQLite file instead of the PostgreSQL database the operator named.
    ("DATABASE_ULR", "NET119_DATABASE_URL"),
    ("MAIL_REALY", "NET119_MAIL_RELAY"),
    ("SECRETKEY", "NET119_SECRET_KEY"),
])
def test_a_misspelt_setting_is_refused_with_the_name_it_resembles(net119, monkeypatch, name, suggestion):
    output = refused(net119("migrate", **{name: "postgresql://net119@db/net119"}), name)
    assert suggestion in output


@pytest.mark.parametrize("problem", ["missing", "directory", "latin-1"])
def test_a_terms_file_that_cannot_be_shown_stops_the_command(net119, tmp_path, problem):
    """Applicants would be shown the built-in terms instead of the operator's, with only a log line."""
    path = tmp_path / "terms.html"
    if problem == "directory":
        path.mkdir()
    elif problem == "latin-1":
        path.write_bytes("<p>Conditions d'utilisation : à lire</p>".encode("latin-1"))
    output = refused(net119("migrate", TERMS_FILE=str(path)), "TERMS_FILE")
    assert str(path) in output


def test_a_practice_database_url_it_cannot_use_is_named_as_that_setting(net119):
    output = refused(net119("migrate", PRACTICE_DATABASE_URL="practice.sqlite3"), "PRACTICE_DATABASE_URL")
    assert "NET119_DATABASE_URL" not in output


def test_good_settings_are_taken_in_the_forms_the_readme_gives(tmp_path, monkeypatch):
    """Seconds become durations (a link's age in seconds used to fail the first application), yes/no and
    a single origin are understood."""
    terms = tmp_path / "terms.html"
    terms.write_text("<p>利用規約</p>", encoding="utf-8")
    for name, value in {"DATABASE_URL": f"sqlite:///{tmp_path / 'ok.sqlite3'}", "SECRET_KEY": "config-test",
                        "APPLICATION_LINK_MAX_AGE": "3600", "ACTIVATION_LINK_MAX_AGE": "86400",
                        "STAFF_SESSION_LIFETIME": "50400", "SPEECH_CACHE_KEEP": "null",
                        "MAILBOX_PAGE": "no", "SPEECH_PREPARE_ON_START": "false",
                        "INTAKE_LIMIT_PER_SENDER": "[3, 600]", "MAIL_RELAY": "smtp.example.jp:587",
                        "MAIL_FROM": "NET119 <no-reply@net119.example.jp>", "TERMS_FILE": str(terms),
                        "ALLOWED_ORIGINS": "https://net119.example.jp/", "PUBLIC_URL": "https://net119.example.jp",
                        "SPEECH_ENGINES": '{"ja": ["openjtalk", "gtts"]}'}.items():
        monkeypatch.setenv(f"NET119_{name}", value)
    config = configured_app().config
    assert config["APPLICATION_LINK_MAX_AGE"] == timedelta(hours=1)
    assert config["ACTIVATION_LINK_MAX_AGE"] == timedelta(days=1)
    assert config["STAFF_SESSION_LIFETIME"] == timedelta(hours=14)
    assert config["SPEECH_CACHE_KEEP"] is None
    assert config["MAILBOX_PAGE"] is False and config["SPEECH_PREPARE_ON_START"] is False
    assert config["INTAKE_LIMIT_PER_SENDER"] == (3, 600)
    assert config["ALLOWED_ORIGINS"] == ["https://net119.example.jp"]


def test_a_speech_cache_that_cannot_be_a_folder_stops_the_command(net119, tmp_path):
    # Every card used to fall back to the browser's voice, with a traceback in the log per card.
    afile = tmp_path / "a-file"
    afile.write_text("")
    output = refused(net119("migrate", SPEECH_CACHE_DIR=str(afile / "speech")), "SPEECH_CACHE_DIR")
    assert str(afile) in output


def test_a_question_trees_folder_that_does_not_exist_stops_the_command(net119, tmp_path):
    # The HQs' own question trees used to be replaced by the defaults without a word.
    output = refused(net119("migrate", QUESTION_TREES_DIR=str(tmp_path / "trees")), "QUESTION_TREES_DIR")
    assert str(tmp_path / "trees") in output


def test_a_misspelt_setting_in_the_instance_file_is_refused_too(tmp_path):
    """instance/net119.cfg is Python: a misspelt name there was as silently ignored as in the environment."""
    from app.config import SettingsError, check_settings, operator_settings

    (tmp_path / "net119.cfg").write_text('MAIL_RELAY = "smtp.example.jp:587"\nPUBLIC_ULR = "https://x.example.jp"\n')
    settings = operator_settings(tmp_path)
    assert settings["MAIL_RELAY"] == "smtp.example.jp:587"
    with pytest.raises(SettingsError) as refused_settings:
        check_settings(settings, {})
    assert "PUBLIC_ULR" in str(refused_settings.value) and "PUBLIC_URL" in str(refused_settings.value)
    assert "net119.cfg" in str(refused_settings.value)


def test_a_practice_database_in_a_folder_that_does_not_exist_stops_the_command(net119, tmp_path):
    # Practice (SPEC §6) used to fail at a resident's first practice report instead.
    missing = tmp_path / "missing" / "practice.sqlite3"
    output = refused(net119("migrate", PRACTICE_DATABASE_URL=f"sqlite:///{missing}"), "PRACTICE_DATABASE_URL")
    assert str(missing.parent) in output
