"""PORTAL_UPSTREAM_* settings: read strictly, the key required with the URL and never repeated in a message."""

from __future__ import annotations

import os

import pytest
from cryptography.fernet import Fernet

from portal import create_app
from portal.config import ConfigError

SECRET = "nk_live_do-not-print-me"


@pytest.fixture
def env(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("PORTAL_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PORTAL_SECRET_KEY", "s" * 32)
    monkeypatch.setenv("PORTAL_KEY_ENCRYPTION_KEY", Fernet.generate_key().decode())
    return monkeypatch


def test_upstream_mode_is_off_by_default(env):
    config = create_app().config
    assert config["UPSTREAM_URL"] is None and config["UPSTREAM_API_KEY"] is None
    assert (config["UPSTREAM_TIMEOUT"], config["UPSTREAM_RETRIES"], config["UPSTREAM_REQUESTS_PER_SECOND"]) == (
        10.0, 2, 20)


def test_upstream_settings_come_from_the_environment(env):
    env.setenv("PORTAL_UPSTREAM_URL", "https://network.example.com/")
    env.setenv("PORTAL_UPSTREAM_API_KEY", SECRET)
    env.setenv("PORTAL_UPSTREAM_TIMEOUT", "2.5")
    env.setenv("PORTAL_UPSTREAM_RETRIES", "0")
    env.setenv("PORTAL_UPSTREAM_REQUESTS_PER_SECOND", "40")
    config = create_app().config
    assert config["UPSTREAM_URL"] == "https://network.example.com"
    assert (config["UPSTREAM_API_KEY"], config["UPSTREAM_TIMEOUT"], config["UPSTREAM_RETRIES"],
            config["UPSTREAM_REQUESTS_PER_SECOND"]) == (SECRET, 2.5, 0, 40)


@pytest.mark.parametrize(("settings", "message"), [
    ({"PORTAL_UPSTREAM_URL": "https://network.example.com"}, "PORTAL_UPSTREAM_API_KEY is required"),
    ({"PORTAL_UPSTREAM_API_KEY": SECRET}, "without PORTAL_UPSTREAM_URL"),
    ({"PORTAL_UPSTREAM_URL": "ftp://network.example.com", "PORTAL_UPSTREAM_API_KEY": SECRET}, "http:// or https://"),
    ({"PORTAL_UPSTREAM_URL": "https://n.example.com/?a=1", "PORTAL_UPSTREAM_API_KEY": SECRET}, "without a query"),
    ({"PORTAL_UPSTREAM_URL": "https://", "PORTAL_UPSTREAM_API_KEY": SECRET}, "PORTAL_UPSTREAM_URL"),
    ({"PORTAL_UPSTREAM_URL": "https://api.eflow.team/v1", "PORTAL_UPSTREAM_API_KEY": SECRET}, "without /v1"),
    ({"PORTAL_UPSTREAM_URL": "https://n.example.com/V1/", "PORTAL_UPSTREAM_API_KEY": SECRET}, "without /v1"),
    ({"PORTAL_UPSTREAM_URL": "https://n.example.com/v1/networks", "PORTAL_UPSTREAM_API_KEY": SECRET}, "without /v1"),
    ({"PORTAL_UPSTREAM_TIMEOUT": "0"}, "PORTAL_UPSTREAM_TIMEOUT must be a number of seconds above 0"),
    ({"PORTAL_UPSTREAM_TIMEOUT": "121"}, "at most 120"),
    ({"PORTAL_UPSTREAM_TIMEOUT": "nan"}, "PORTAL_UPSTREAM_TIMEOUT must be a finite number"),
    ({"PORTAL_UPSTREAM_RETRIES": "-1"}, "PORTAL_UPSTREAM_RETRIES must be a whole number from 0 to 10"),
    ({"PORTAL_UPSTREAM_RETRIES": "two"}, "PORTAL_UPSTREAM_RETRIES must be a whole number"),
    ({"PORTAL_UPSTREAM_REQUESTS_PER_SECOND": "0"}, "PORTAL_UPSTREAM_REQUESTS_PER_SECOND must be a whole number"),
])
def test_a_bad_upstream_setting_stops_start_up_and_never_shows_the_key(env, settings, message):
    for name, value in settings.items():
        env.setenv(name, value)
    with pytest.raises(ConfigError, match=message) as caught:
        create_app()
    assert SECRET not in str(caught.value)
