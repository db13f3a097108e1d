"""The log filter redacts keys, key headers and key-like query parameters, and keeps everything else."""

from __future__ import annotations

import logging

import pytest

from portal.api.redaction import KEY_REDACTOR, LOGGERS, redact
from portal.services.key_material import generate_key


@pytest.mark.parametrize(("line", "kept"), [
    ('"GET /v1/affiliates/affiliate?api_key={key} HTTP/1.1" 401 -', '"GET /v1/affiliates/affiliate?api_key='),
    ("headers: {{'X-Eflow-API-Key': '{key}', 'Accept': 'application/json'}}", "'Accept': 'application/json'"),
    ("Authorization: Bearer {key}", "Authorization: "),
    ("X-Api-Key={key}", "X-Api-Key="),
    ("failed for {key} at 12:00", "at 12:00"),
])
def test_keys_are_redacted_wherever_they_appear(line, kept):
    key = generate_key()
    cleaned = redact(line.format(key=key))
    assert key not in cleaned and key[9:] not in cleaned
    assert kept in cleaned and "[redacted]" in cleaned


@pytest.mark.parametrize("line", ["failed for {key} at 12:00", "KeyError: '{key}'"])
def test_network_keys_are_redacted_too(line):
    key = generate_key("efn_live_")
    cleaned = redact(line.format(key=key))
    assert key not in cleaned and key[9:] not in cleaned and "efn_[redacted]" in cleaned


@pytest.mark.parametrize("line", [
    "GET /v1/affiliates/affiliate?token=abc123 HTTP/1.1",
    "GET /v1/affiliates/affiliate?KEY=abc123&page=2 HTTP/1.1",
    "GET /v1/x?apikey=abc123 HTTP/1.1",
])
def test_values_of_key_like_query_parameters_are_redacted_whatever_they_are(line):
    assert "abc123" not in redact(line)


@pytest.mark.parametrize("line", [
    "GET /staff/partners/2?partner_key=johnsmith HTTP/1.1",
    "GET /v1/affiliates/affiliate?page=2&sub1=spring HTTP/1.1",
    "released 3 on-hold conversions",
])
def test_other_text_is_left_alone(line):
    assert redact(line) == line


def test_the_filter_rewrites_formatted_records_and_tracebacks():
    key = generate_key()
    try:
        raise ValueError(f"bad key {key}")
    except ValueError:
        import sys
        record = logging.LogRecord("werkzeug", logging.ERROR, __file__, 1, "request with %s", (key,), sys.exc_info())
    assert KEY_REDACTOR.filter(record) is True
    assert key not in record.getMessage() and key not in record.exc_text


def test_the_filter_is_attached_to_the_app_and_server_loggers(app):
    for logger in (app.logger, *(logging.getLogger(name) for name in LOGGERS)):
        assert KEY_REDACTOR in logger.filters
    assert {"werkzeug", "gunicorn.access", "gunicorn.error"} <= set(LOGGERS)
