"""Streamed downloads over a real HTTP listener: whole files arrive whole, broken ones arrive visibly broken."""

from __future__ import annotations

import http.client
import logging
from urllib.parse import urlsplit

import pytest
import requests
from flask import Blueprint, current_app

from portal.http.downloads import stream_download
from tests.browser import LiveServer

CHUNK = b"x" * 64 * 1024


class ExportBroke(RuntimeError):
    pass


def download_routes() -> Blueprint:
    """A test-only blueprint; the production app has no such routes."""
    bp = Blueprint("download_test", __name__)

    @bp.route("/test-download/good.<any(csv, json, ndjson):fmt>")
    def good(fmt: str):
        def chunks():
            yield b"id,name\n"
            for i in range(20):
                # Inside the request's contexts while streaming (stream_with_context).
                yield f"{i},{current_app.name}\n".encode() + CHUNK
        return stream_download(chunks(), f"conversions_2026-11-01_2026-11-21.{fmt}", fmt)

    @bp.route("/test-download/broken")
    def broken():
        def chunks():
            yield b"id,name\n"
            for i in range(5):
                yield CHUNK
            raise ExportBroke("database went away")
        return stream_download(chunks(), "conversions_2026-11-01_2026-11-21.csv", "csv")

    @bp.route("/test-download/fails-at-once")
    def fails_at_once():
        def chunks():
            raise ExportBroke("no rows could be read")
            yield b""  # a generator
        return stream_download(chunks(), "conversions_2026-11-01_2026-11-21.csv", "csv")

    return bp


@pytest.fixture
def server(make_app):
    app = make_app()
    app.register_blueprint(download_routes())
    with LiveServer(app) as live:
        yield live


def test_a_whole_download_arrives_whole_with_download_headers(server):
    response = requests.get(f"{server.url}/test-download/good.csv", stream=True, timeout=10)
    body = b"".join(response.iter_content(chunk_size=None))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="conversions_2026-11-01_2026-11-21.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Length" not in response.headers
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert body.startswith(b"id,name\n0,") and len(body) == len(b"id,name\n") + sum(
        len(f"{i},{server.server.app.name}\n") + len(CHUNK) for i in range(20))


@pytest.mark.parametrize("fmt, content_type", [("json", "application/json"), ("ndjson", "application/x-ndjson")])
def test_json_downloads_say_what_they_are(server, fmt, content_type):
    response = requests.get(f"{server.url}/test-download/good.{fmt}", timeout=10)
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Disposition"].endswith(f'.{fmt}"')


def test_a_stream_that_fails_midway_is_an_incomplete_transfer_for_the_client(server, caplog):
    caplog.set_level(logging.INFO, logger="portal.http.downloads")
    response = requests.get(f"{server.url}/test-download/broken", stream=True, timeout=10)
    assert response.status_code == 200  # the status went out with the first bytes …
    received = bytearray()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):  # … but the body never completes
        for piece in response.iter_content(chunk_size=None):
            received += piece
    assert received.startswith(b"id,name\n") and len(received) <= len(b"id,name\n") + 5 * len(CHUNK)
    failure = [r for r in caplog.records if r.name == "portal.http.downloads" and r.levelno == logging.ERROR]
    assert failure and "ExportBroke" in failure[0].getMessage()
    assert "database went away" not in failure[0].getMessage()  # the type, not a driver's message


def test_the_broken_stream_is_incomplete_at_the_http_level_too(server):
    """No closing zero-length chunk: a plain HTTP client (http.client) refuses the body as incomplete."""
    url = urlsplit(server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.request("GET", "/test-download/broken")
        response = conn.getresponse()
        with pytest.raises(http.client.IncompleteRead):
            response.read()
    finally:
        conn.close()


def test_a_failure_before_the_first_byte_is_an_error_status_not_an_empty_file(server):
    response = requests.get(f"{server.url}/test-download/fails-at-once", timeout=10)
    assert response.status_code == 500
    assert "Content-Disposition" not in response.headers


def test_odd_filenames_and_formats_are_refused(app):
    with app.test_request_context():
        with pytest.raises(ValueError):
            stream_download(iter([b"x"]), 'a"; filename="evil.exe', "csv")
        with pytest.raises(ValueError):
            stream_download(iter([b"x"]), "report.xlsx", "xlsx")
