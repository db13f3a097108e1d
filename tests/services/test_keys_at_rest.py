"""No key in plain text at rest or in logs: after real use, the database and every log line are free of it."""

from __future__ import annotations

import http.client
import logging
import os
import shutil
import subprocess

import pytest
import sqlalchemy as sa

from portal.services.keys import find_by_secret, reveal_key, revoke_key, set_allowlist
from tests.browser import LiveServer


def dump_database(db) -> str:
    """Every row of every table, as text (the way a backup or a curious admin would see it)."""
    lines = []
    metadata = sa.MetaData()
    metadata.reflect(bind=db.engine)
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


def raw_database_bytes(db) -> bytes:
    """The database as stored: the SQLite file itself, or pg_dump of the PostgreSQL database."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint")  # nothing left only in a side file
        data = b""
        for suffix in ("", "-journal", "-wal"):
            if os.path.exists(url.database + suffix):
                with open(url.database + suffix, "rb") as handle:
                    data += handle.read()
        return data
    if shutil.which("pg_dump") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pg_dump is needed to check the PostgreSQL database at rest")
        return b""
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(["pg_dump", "--data-only", dsn], check=True, capture_output=True).stdout


@pytest.fixture
def every_log_line(caplog):
    caplog.set_level(logging.DEBUG)  # the root logger: every logger propagates here
    for name in ("werkzeug", "portal", "sqlalchemy.engine", "flask-limiter", "gunicorn.error"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def test_keys_used_and_misused_over_the_api_leave_no_trace_in_the_database_or_the_logs(
        app, db, make, api, issue, every_log_line):
    staff = make.staff()
    partner = make.partner()
    live, revoked, fenced = issue(partner, "Live"), issue(partner, "Revoked"), issue(partner, "Fenced")
    set_allowlist(find_by_secret(fenced), "203.0.113.0/24", staff)
    app.config["API_USAGE_FLUSH_SECONDS"] = 0
    app.extensions["portal.api_usage"].flush_seconds = 0  # write usage on every request

    assert api.get("/v1/affiliates/affiliate", key=live).status_code == 200
    assert api.get("/v1/affiliates/network", key=live, header="X-Api-Key").status_code == 200
    assert api.get("/v1/meta/timezones", key=live, header="Authorization").status_code == 200
    assert reveal_key(find_by_secret(live), staff) == live
    revoke_key(find_by_secret(revoked), staff)
    assert api.get("/v1/affiliates/affiliate", key=revoked).status_code == 401
    assert api.get("/v1/affiliates/affiliate", key=fenced).status_code == 403
    assert api.get(f"/v1/affiliates/affiliate?api_key={live}", key=live).status_code == 401
    assert api.get(f"/v1/affiliates/affiliate?token={live}").status_code == 401
    assert api.get("/v1/affiliates/affiliate", key=live[:-1] + ("1" if live[-1] != "1" else "2")).status_code == 401
    for _ in range(21):
        api.get("/v1/meta/timezones", key=live)
    app.logger.info("a key in a message: %s", live)  # redacted by the filter on the app's logger

    dump = dump_database(db)
    assert "api_keys" in dump and "audit_events" in dump and "api_usage" in dump
    raw = raw_database_bytes(db)
    log_text = "\n".join(record.getMessage() for record in every_log_line.records)
    for key in (live, revoked, fenced):
        assert key not in dump
        assert key.encode() not in raw
        assert key not in log_text
        assert key not in every_log_line.text
    assert "afk_[redacted]" in log_text


def test_the_request_log_of_a_real_server_redacts_keys_sent_in_the_url(app, make, issue, every_log_line):
    key = issue(make.partner())
    with LiveServer(app) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.server.server_port, timeout=5)
        conn.request("GET", f"/v1/affiliates/affiliate?api_key={key}&apikey=plain-text-guess",
                     headers={"X-Eflow-API-Key": key})
        response = conn.getresponse()
        response.read()
        conn.close()
    assert response.status == 401
    request_lines = [r.getMessage() for r in every_log_line.records if r.name == "werkzeug"]
    assert any("/v1/affiliates/affiliate?api_key=" in line for line in request_lines)
    assert key not in every_log_line.text and "plain-text-guess" not in every_log_line.text
