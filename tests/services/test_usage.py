"""Key usage: last-used at most once a minute, per-minute counts that add up, buffered writes."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from portal.models import ApiKey, ApiUsage
from portal.services.keys import find_by_secret, set_allowlist
from portal.services.usage import UsageRecorder

T0 = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)  # a Monday, five seconds into a minute


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.at = start

    def __call__(self) -> float:
        return self.at.timestamp()

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def recorder(app, clock):
    """The app's usage recorder, on the test's clock, writing after every request."""
    recorder = UsageRecorder(flush_seconds=0, clock=clock, background=False)
    app.extensions["portal.api_usage"] = recorder
    return recorder


def usage_rows(db) -> list[tuple]:
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(
        select(ApiUsage.endpoint, ApiUsage.minute, ApiUsage.requests, ApiUsage.client_errors,
               ApiUsage.server_errors, ApiUsage.rate_limited).order_by(ApiUsage.minute, ApiUsage.endpoint))]


def key_row(db, key: str) -> ApiKey:
    db.session.expire_all()
    return find_by_secret(key)


def updates_of_api_keys(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("UPDATE API_KEYS")]


def test_last_used_is_written_at_most_once_a_minute(api, db, make, issue, recorder, clock, count_statements):
    key = issue(make.partner())
    with count_statements() as first:
        assert api.get("/v1/affiliates/affiliate", key=key, ip="198.51.100.4").status_code == 200
    assert len(updates_of_api_keys(first.statements)) == 1
    row = key_row(db, key)
    assert (row.last_used_at, row.last_used_ip, row.last_used_endpoint) == (
        T0, "198.51.100.4", "GET /v1/affiliates/affiliate")

    clock.advance(seconds=30)
    with count_statements() as second:
        assert api.get("/v1/meta/timezones", key=key, ip="198.51.100.5").status_code == 200
    assert updates_of_api_keys(second.statements) == []  # same minute: no write at all
    assert key_row(db, key).last_used_at == T0

    clock.advance(seconds=31)
    with count_statements() as third:
        api.get("/v1/meta/timezones", key=key, ip="198.51.100.6")
    assert len(updates_of_api_keys(third.statements)) == 1
    row = key_row(db, key)
    assert (row.last_used_at, row.last_used_ip, row.last_used_endpoint) == (
        T0 + timedelta(seconds=61), "198.51.100.6", "GET /v1/meta/timezones")


def test_another_process_does_not_rewrite_last_used_within_the_minute(app, db, make, issue, clock):
    key = issue(make.partner())
    key_id, partner_id = find_by_secret(key).id, find_by_secret(key).partner_id
    one, other = (UsageRecorder(flush_seconds=0, clock=clock, background=False) for _ in range(2))
    one.record(db.engine, key_id=key_id, partner_id=partner_id, endpoint="GET /a", status=200, ip="192.0.2.1",
               admitted=True)
    clock.advance(seconds=20)
    other.record(db.engine, key_id=key_id, partner_id=partner_id, endpoint="GET /b", status=200, ip="192.0.2.2",
                 admitted=True)
    row = key_row(db, key)
    assert (row.last_used_at, row.last_used_ip) == (T0, "192.0.2.1")


def test_a_call_refused_by_the_allowlist_is_counted_but_is_not_a_use(api, db, make, issue, recorder):
    key = issue(make.partner())
    set_allowlist(find_by_secret(key), "203.0.113.0/24", make.staff())
    assert api.get("/v1/affiliates/affiliate", key=key, ip="198.51.100.1").status_code == 403
    assert usage_rows(db) == [("GET /v1/affiliates/affiliate", T0.replace(second=0), 1, 1, 0, 0)]
    assert key_row(db, key).last_used_at is None


def test_per_minute_counts_add_up_across_calls(api, db, make, issue, recorder, clock):
    key = issue(make.partner())
    other_partner_key = issue(make.partner())
    for _ in range(3):
        api.get("/v1/affiliates/affiliate", key=key)
    api.get("/v1/meta/timezones", key=key)
    api.get("/v1/affiliates/affiliate")  # no key: nobody's usage
    api.get("/v1/affiliates/affiliate", key=key + "0")  # not a key: nobody's usage
    clock.advance(minutes=1)
    api.get("/v1/affiliates/affiliate", key=key)
    api.get("/v1/affiliates/affiliate", key=other_partner_key)
    minute = T0.replace(second=0)
    rows = usage_rows(db)
    assert rows == [
        ("GET /v1/affiliates/affiliate", minute, 3, 0, 0, 0),
        ("GET /v1/meta/timezones", minute, 1, 0, 0, 0),
        ("GET /v1/affiliates/affiliate", minute + timedelta(minutes=1), 1, 0, 0, 0),
        ("GET /v1/affiliates/affiliate", minute + timedelta(minutes=1), 1, 0, 0, 0),
    ]
    owners = set(db.session.execute(select(ApiUsage.api_key_id, ApiUsage.partner_id)))
    assert {(k.id, k.partner_id) for k in (find_by_secret(key), find_by_secret(other_partner_key))} == owners


def test_statuses_are_counted_in_their_columns(app, db, make, issue, clock):
    key = find_by_secret(issue(make.partner()))
    recorder = UsageRecorder(flush_seconds=3600, clock=clock, background=False)
    for status in (200, 201, 400, 404, 429, 429, 500, 503):
        recorder.record(db.engine, key_id=key.id, partner_id=key.partner_id, endpoint="GET /x", status=status,
                        ip=None, admitted=True)
    recorder.flush()
    assert usage_rows(db) == [("GET /x", T0.replace(second=0), 8, 2, 2, 2)]


def test_two_processes_writing_the_same_minute_add_up(app, db, make, issue, clock):
    key = find_by_secret(issue(make.partner()))
    processes = [UsageRecorder(flush_seconds=3600, clock=clock, background=False) for _ in range(3)]
    for n, recorder in enumerate(processes, 1):
        for _ in range(n):
            recorder.record(db.engine, key_id=key.id, partner_id=key.partner_id, endpoint="GET /x", status=200,
                            ip=None, admitted=True)
    for recorder in processes:
        recorder.flush()
    processes[0].record(db.engine, key_id=key.id, partner_id=key.partner_id, endpoint="GET /x", status=429,
                        ip=None, admitted=True)
    processes[0].flush()
    assert usage_rows(db) == [("GET /x", T0.replace(second=0), 7, 0, 0, 1)]


def test_usage_is_buffered_and_written_every_few_seconds_or_at_the_minute(app, db, make, issue, clock,
                                                                           count_statements):
    key = find_by_secret(issue(make.partner()))
    recorder = UsageRecorder(flush_seconds=5, clock=clock, background=False)

    def call():
        recorder.record(db.engine, key_id=key.id, partner_id=key.partner_id, endpoint="GET /x", status=200,
                        ip="192.0.2.9", admitted=True)

    with count_statements() as buffered:
        call()
        clock.advance(seconds=2)
        call()
    assert buffered.count == 0 and usage_rows(db) == []
    clock.advance(seconds=3)
    call()  # five seconds since the recorder began: written now
    assert usage_rows(db) == [("GET /x", T0.replace(second=0), 3, 0, 0, 0)]

    clock.advance(seconds=47)  # 10:00:57, long after the last write: written at once
    call()
    assert usage_rows(db)[0][2] == 4
    clock.advance(seconds=2)  # 10:00:59: buffered
    call()
    assert usage_rows(db)[0][2] == 4
    clock.advance(seconds=2)  # 10:01:01, only two seconds later, but the buffered minute is over: written
    call()
    rows = usage_rows(db)
    assert [row[2] for row in rows] == [5, 1] and rows[1][1] == T0.replace(minute=1, second=0)


def test_a_quiet_process_still_writes_its_usage_from_a_timer(app, db, make, issue):
    key = find_by_secret(issue(make.partner()))
    recorder = UsageRecorder(flush_seconds=0.2, background=True)
    try:
        recorder.record(db.engine, key_id=key.id, partner_id=key.partner_id, endpoint="GET /x", status=200,
                        ip=None, admitted=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not usage_rows(db):
            time.sleep(0.05)
        assert [row[2] for row in usage_rows(db)] == [1]
    finally:
        recorder.close()


def test_usage_that_cannot_be_written_is_kept_for_the_next_flush(app, db, make, issue, clock, caplog):
    key = find_by_secret(issue(make.partner()))
    recorder = UsageRecorder(flush_seconds=0, clock=clock, background=False)
    broken = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/unreachable",
                              connect_args={"connect_timeout": 2})
    try:
        with caplog.at_level(logging.ERROR, logger="portal.services.usage"):
            recorder.record(broken, key_id=key.id, partner_id=key.partner_id, endpoint="GET /x", status=200,
                            ip=None, admitted=True)
        assert "could not write API key usage" in caplog.text
        assert usage_rows(db) == []
        recorder.record(db.engine, key_id=key.id, partner_id=key.partner_id, endpoint="GET /x", status=200,
                        ip=None, admitted=True)
    finally:
        broken.dispose()
    assert usage_rows(db) == [("GET /x", T0.replace(second=0), 2, 0, 0, 0)]
    assert db.session.scalar(select(func.count()).select_from(ApiUsage)) == 1
