"""The mail workers warn when real mail would carry links no phone can open."""
import pytest
from click.testing import CliRunner

from app.cli import main


@pytest.fixture
def outbox_once(tmp_path, monkeypatch):
    """`net119 outbox --once` on a fresh database, with a relay that refuses (nothing is due anyway)."""
    monkeypatch.setenv("NET119_DATABASE_URL", f"sqlite:///{tmp_path / 'mail.sqlite3'}")
    monkeypatch.setenv("NET119_SECRET_KEY", "mail-settings-test")
    monkeypatch.setenv("NET119_MAIL_RELAY", "127.0.0.1:1")
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"], catch_exceptions=False).exit_code == 0

    def run(**env):
        for name, value in env.items():
            monkeypatch.setenv(f"NET119_{name}", value)
        return runner.invoke(main, ["outbox", "--once"], catch_exceptions=False)
    return run


def test_links_to_this_machine_are_warned_of(outbox_once):
    """PUBLIC_URL left at its default: every link mailed to a resident would point at 127.0.0.1."""
    result = outbox_once()
    assert result.exit_code == 0
    assert "PUBLIC_URL" in result.output and "http://127.0.0.1:8119" in result.output


def test_a_public_address_is_not_warned_of(outbox_once):
    result = outbox_once(PUBLIC_URL="https://net119.example.jp", MAIL_DOMAIN="net119.example.jp")
    assert result.exit_code == 0 and "PUBLIC_URL" not in result.output and "MAIL_DOMAIN" not in result.output


def test_a_local_mail_domain_is_warned_of(outbox_once):
    """MAIL_DOMAIN left at net119.localhost: our From address is one no carrier filter can allow."""
    result = outbox_once(PUBLIC_URL="https://net119.example.jp")
    assert "MAIL_DOMAIN" in result.output and "net119.localhost" in result.output
