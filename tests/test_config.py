"""The factory reads defaults → instance file → PORTAL_* environment, and fails fast on bad settings."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from portal import create_app
from portal.config import ConfigError, from_environment, normalise_database_url
from portal.delivery.http import SendSettings
from portal.instance import ensure_development_config

KEK = Fernet.generate_key().decode()


@pytest.fixture
def empty_instance(tmp_path, monkeypatch):
    """An instance folder with no config file, and no PORTAL_* settings in the environment."""
    for name in list(__import__("os").environ):
        if name.startswith("PORTAL_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    return tmp_path


@pytest.fixture
def with_secrets(empty_instance, monkeypatch):
    """The empty instance, with both required secrets set in the environment."""
    monkeypatch.setenv("PORTAL_SECRET_KEY", "s" * 32)
    monkeypatch.setenv("PORTAL_KEY_ENCRYPTION_KEY", KEK)
    return empty_instance


@pytest.mark.parametrize("env_name", ["production", "development"])
@pytest.mark.parametrize("missing", ["SECRET_KEY", "KEY_ENCRYPTION_KEY"])
def test_a_missing_secret_stops_start_up_and_names_it(empty_instance, monkeypatch, env_name, missing):
    monkeypatch.setenv("PORTAL_ENV", env_name)
    present = {"SECRET_KEY", "KEY_ENCRYPTION_KEY"} - {missing}
    for name in present:
        monkeypatch.setenv(f"PORTAL_{name}", "x" * 32)
    with pytest.raises(ConfigError, match=f"PORTAL_{missing}"):
        create_app()


def test_production_is_the_default_environment(empty_instance):
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY"):
        create_app()


def test_settings_layer_instance_file_then_environment(empty_instance, monkeypatch):
    (empty_instance / "config.py").write_text(
        f"SECRET_KEY = 'from-file'\nKEY_ENCRYPTION_KEY = {KEK!r}\nLOGIN_FREE_ATTEMPTS = 3\n"
    )
    monkeypatch.setenv("PORTAL_ENV", "development")
    monkeypatch.setenv("PORTAL_LOGIN_FREE_ATTEMPTS", "7")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["LOGIN_FREE_ATTEMPTS"] == 7
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{empty_instance / 'portal.sqlite'}"


def test_production_cookies_are_secure_and_development_cookies_work_on_plain_http(with_secrets, monkeypatch):
    prod = create_app()
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    assert prod.config["SESSION_COOKIE_HTTPONLY"] is True
    assert prod.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    monkeypatch.setenv("PORTAL_ENV", "development")
    assert create_app().config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORTAL_SESSION_COOKIE_SECURE", "maybe", "PORTAL_SESSION_COOKIE_SECURE must be one of"),
        ("PORTAL_LOGIN_FREE_ATTEMPTS", "five", "PORTAL_LOGIN_FREE_ATTEMPTS must be a whole number"),
        ("PORTAL_ENV", "staging", "PORTAL_ENV must be one of"),
        ("PORTAL_POSTBACK_TOTAL_TIMEOUT", "ten", "PORTAL_POSTBACK_TOTAL_TIMEOUT must be a number of seconds"),
        ("PORTAL_POSTBACK_TOTAL_TIMEOUT", "inf", "PORTAL_POSTBACK_TOTAL_TIMEOUT must be a finite number"),
        ("PORTAL_POSTBACK_TOTAL_TIMEOUT", "0", "PORTAL_POSTBACK_TOTAL_TIMEOUT must be a number of seconds above 0"),
        ("PORTAL_POSTBACK_TOTAL_TIMEOUT", "61", "at most 60"),
        ("PORTAL_POSTBACK_CONNECT_TIMEOUT", "-1", "PORTAL_POSTBACK_CONNECT_TIMEOUT must be a number of seconds"),
        ("PORTAL_POSTBACK_CONNECT_TIMEOUT", "12", "must not exceed PORTAL_POSTBACK_TOTAL_TIMEOUT"),
        ("PORTAL_TRACKING_CACHE_SECONDS", "-1", "PORTAL_TRACKING_CACHE_SECONDS must be a number of seconds"),
        ("PORTAL_TRACKING_CACHE_SECONDS", "301", "from 0 to 300"),
        ("PORTAL_STAFF_CONFIRMATION_SECONDS", "ten minutes", "PORTAL_STAFF_CONFIRMATION_SECONDS must be a whole number"),
        ("PORTAL_STAFF_CONFIRMATION_SECONDS", "0", "PORTAL_STAFF_CONFIRMATION_SECONDS must be a whole number from 1"),
        ("PORTAL_STAFF_CONFIRMATION_SECONDS", "86401", "from 1 to 86400"),
    ],
)
def test_a_malformed_setting_stops_start_up_and_names_it(with_secrets, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_postback_timeouts_come_from_the_environment_in_seconds(with_secrets, monkeypatch):
    monkeypatch.setenv("PORTAL_POSTBACK_CONNECT_TIMEOUT", " 1.5 ")
    monkeypatch.setenv("PORTAL_POSTBACK_TOTAL_TIMEOUT", "4")
    app = create_app()
    assert (app.config["POSTBACK_CONNECT_TIMEOUT"], app.config["POSTBACK_TOTAL_TIMEOUT"]) == (1.5, 4.0)
    settings = SendSettings.from_config(app.config)
    assert (settings.connect_timeout, settings.total_timeout) == (1.5, 4.0)


def test_single_sign_on_needs_all_three_settings(with_secrets, monkeypatch):
    monkeypatch.setenv("PORTAL_OIDC_ISSUER", "https://idp.example")
    with pytest.raises(ConfigError, match="PORTAL_OIDC_CLIENT_ID"):
        create_app()


def test_the_factory_does_no_io(with_secrets, monkeypatch):
    """An unreachable database does not stop the factory: it connects on first use, not at start-up."""
    monkeypatch.setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://nobody@127.0.0.1:1/none"


def test_database_url_spellings():
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert from_environment({"DATABASE_URL": "postgres://u@h/db", "OTHER": "1"}) == {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db"
    }


def test_development_secrets_are_created_once_and_never_overwritten(tmp_path):
    path = ensure_development_config(tmp_path / "instance")
    first = path.read_text()
    assert "SECRET_KEY = " in first and "KEY_ENCRYPTION_KEY = " in first
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    ensure_development_config(tmp_path / "instance")
    assert path.read_text() == first
    assert ensure_development_config(tmp_path / "other").read_text() != first


def test_a_key_encryption_key_that_is_not_a_fernet_key_stops_start_up(empty_instance, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET_KEY", "s" * 32)
    monkeypatch.setenv("PORTAL_KEY_ENCRYPTION_KEY", "too-short")
    with pytest.raises(ConfigError, match="PORTAL_KEY_ENCRYPTION_KEY must be a Fernet key"):
        create_app()


def test_a_misspelt_setting_stops_start_up_and_names_it(with_secrets, monkeypatch):
    monkeypatch.setenv("PORTAL_SESSION_COOKIE_SECUR", "1")
    with pytest.raises(ConfigError, match="Unknown setting PORTAL_SESSION_COOKIE_SECUR"):
        create_app()
