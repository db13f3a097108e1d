"""Alerts on unusual key use fire once when they should and not when they should not; staff acknowledge them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.models import ApiUsage, AuditEvent, KeyAlert
from portal.queries import api_activity
from portal.services.key_alerts import acknowledge_alert
from portal.services.keys import find_by_secret
from portal.services.usage import UsageRecorder
from tests.services.test_usage import Clock

DAY_START = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)


def alerts(db, kind: str | None = None) -> list[KeyAlert]:
    db.session.expire_all()
    stmt = select(KeyAlert).order_by(KeyAlert.id)
    if kind:
        stmt = stmt.where(KeyAlert.kind == kind)
    return list(db.session.scalars(stmt))


@pytest.fixture
def clock():
    return Clock(DAY_START + timedelta(hours=10))


@pytest.fixture
def recorder(app, clock):
    recorder = UsageRecorder(flush_seconds=0, clock=clock, background=False)
    app.extensions["portal.api_usage"] = recorder
    return recorder


@pytest.fixture
def key(make, issue):
    return issue(make.partner())


def record(db, recorder, key: str, endpoint: str = "GET /v1/affiliates/affiliate", status: int = 200) -> None:
    row = find_by_secret(key)
    recorder.record(db.engine, key_id=row.id, partner_id=row.partner_id, endpoint=endpoint, status=status,
                    ip="192.0.2.1", admitted=True)


def seed_history(db, key: str, days: int, hours=range(9, 18)) -> None:
    """Earlier usage of the key: the given UTC hours on each of the `days` days before DAY_START."""
    row = find_by_secret(key)
    for day in range(1, days + 1):
        for hour in hours:
            db.session.add(ApiUsage(
                api_key_id=row.id, partner_id=row.partner_id, endpoint="GET /v1/affiliates/affiliate",
                minute=DAY_START - timedelta(days=day) + timedelta(hours=hour, minutes=7),
                requests=3, client_errors=0, server_errors=0, rate_limited=0))
    db.session.commit()


# rate_limited

def test_the_first_429_of_a_key_raises_one_alert(api, db, key, recorder):
    for _ in range(10):  # the partner's share of the network's 20
        assert api.get("/v1/meta/timezones", key=key).status_code == 200
    assert alerts(db, "rate_limited") == []
    for _ in range(5):
        assert api.get("/v1/meta/timezones", key=key).status_code == 429
    [alert] = alerts(db, "rate_limited")
    assert alert.api_key_id == find_by_secret(key).id
    assert alert.detail["endpoint"] == "GET /v1/meta/timezones"


def test_rate_limit_alerts_are_one_per_key_per_24_hours(db, key, recorder, clock):
    record(db, recorder, key, status=429)
    clock.advance(hours=23)
    record(db, recorder, key, status=429)
    assert len(alerts(db, "rate_limited")) == 1
    fresh = UsageRecorder(flush_seconds=0, clock=clock, background=False)  # another process: no memory of it
    record(db, fresh, key, status=429)
    assert len(alerts(db, "rate_limited")) == 1
    clock.advance(hours=1, minutes=1)
    record(db, recorder, key, status=429)
    assert len(alerts(db, "rate_limited")) == 2


def test_429s_of_different_keys_alert_separately(db, make, issue, recorder):
    one, two = issue(make.partner()), issue(make.partner())
    record(db, recorder, one, status=429)
    record(db, recorder, two, status=429)
    assert {a.api_key_id for a in alerts(db, "rate_limited")} == {find_by_secret(one).id, find_by_secret(two).id}


def test_successful_calls_raise_no_rate_limit_alert(db, key, recorder):
    for status in (200, 400, 403, 500):
        record(db, recorder, key, status=status)
    assert alerts(db, "rate_limited") == []


# new_endpoint

def test_a_new_endpoint_alerts_but_a_keys_very_first_calls_do_not(api, db, key, recorder, clock):
    assert api.get("/v1/affiliates/affiliate", key=key).status_code == 200
    assert alerts(db, "new_endpoint") == []
    clock.advance(minutes=5)
    api.get("/v1/affiliates/affiliate", key=key)
    assert alerts(db, "new_endpoint") == []
    api.get("/v1/affiliates/network", key=key)
    [alert] = alerts(db, "new_endpoint")
    assert alert.detail == {"endpoint": "GET /v1/affiliates/network"}
    api.get("/v1/affiliates/network", key=key)
    fresh = UsageRecorder(flush_seconds=0, clock=clock, background=False)
    record(db, fresh, key, endpoint="GET /v1/affiliates/network")
    assert len(alerts(db, "new_endpoint")) == 1
    api.get("/v1/meta/timezones", key=key)
    assert [a.detail["endpoint"] for a in alerts(db, "new_endpoint")] == [
        "GET /v1/affiliates/network", "GET /v1/meta/timezones"]


def test_several_endpoints_in_a_keys_first_batch_are_all_first_use(app, db, key, clock):
    recorder = UsageRecorder(flush_seconds=3600, clock=clock, background=False)
    for endpoint in ("GET /a", "GET /b", "GET /c"):
        record(db, recorder, key, endpoint=endpoint)
    recorder.flush()
    assert alerts(db, "new_endpoint") == []


# off_hours

def test_use_outside_the_keys_usual_hours_alerts_once_per_hour(db, key, recorder, clock):
    seed_history(db, key, days=3)
    clock.at = DAY_START + timedelta(hours=3, minutes=12)
    record(db, recorder, key)
    [alert] = alerts(db, "off_hours")
    assert alert.detail["hour_of_day_utc"] == 3 and alert.detail["usual_hours_utc"] == list(range(9, 18))
    assert alert.detail["days_of_history"] == 3
    clock.advance(minutes=30)
    record(db, recorder, key)
    record(db, UsageRecorder(flush_seconds=0, clock=clock, background=False), key)  # another process
    assert len(alerts(db, "off_hours")) == 1
    clock.advance(minutes=30)  # 04:12, another unusual hour
    record(db, recorder, key)
    assert [a.detail["hour_of_day_utc"] for a in alerts(db, "off_hours")] == [3, 4]


def test_use_in_the_usual_hours_does_not_alert(db, key, recorder, clock):
    seed_history(db, key, days=5)
    for hour in (9, 12, 17):
        clock.at = DAY_START + timedelta(hours=hour, minutes=40)
        record(db, recorder, key)
    assert alerts(db, "off_hours") == []


def test_too_little_history_does_not_alert(db, key, recorder, clock):
    seed_history(db, key, days=2)
    clock.at = DAY_START + timedelta(hours=3)
    record(db, recorder, key)
    assert alerts(db, "off_hours") == []


def test_history_older_than_30_days_is_forgotten(db, key, recorder, clock):
    seed_history(db, key, days=3)
    clock.at = DAY_START + timedelta(days=40, hours=3)
    record(db, recorder, key)
    assert alerts(db, "off_hours") == []


def test_an_hour_used_before_is_learned(db, key, recorder, clock):
    seed_history(db, key, days=3, hours=[3, 9, 10])
    clock.at = DAY_START + timedelta(hours=3, minutes=5)
    record(db, recorder, key)
    assert alerts(db, "off_hours") == []


# acknowledging

def test_staff_acknowledge_an_alert_once_and_it_leaves_the_open_list(db, make, key, recorder):
    record(db, recorder, key, status=429)
    [alert] = alerts(db, "rate_limited")
    assert [row.id for row in api_activity.open_alerts()] == [alert.id]
    admin = make.staff()
    assert acknowledge_alert(alert, admin, ip="192.0.2.50")
    assert not acknowledge_alert(alert, admin)
    [done] = alerts(db, "rate_limited")
    assert done.acknowledged_at is not None and done.acknowledged_by_id == admin.id
    assert api_activity.open_alerts() == []
    [event_row] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_key.alert_acknowledged"))
    assert event_row.actor_id == admin.id and event_row.target_id == str(alert.id)
