"""Alerts on unusual key use, decided while usage is flushed, and their acknowledgement by staff.

- rate_limited: a key's first 429; then quiet for that key for 24 hours.
- new_endpoint: a key with earlier usage calls an endpoint it has never called. A key's very first
  calls raise nothing (every new integration would alert otherwise).
- off_hours: a key is used in an hour of the day (UTC) in which its last 30 days show no use, once
  those 30 days cover at least 3 distinct days; at most one alert per key per clock hour. A UTC hour
  set is the partner's local hour set shifted, so learning it in UTC loses nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import extract, func, insert, select
from sqlalchemy.engine import Connection

from portal.extensions import db
from portal.models import ApiUsage, KeyAlert
from portal.models.base import utcnow
from portal.services import audit

log = logging.getLogger(__name__)

RATE_LIMITED_QUIET = timedelta(hours=24)
OFF_HOURS_HISTORY = timedelta(days=30)
OFF_HOURS_MIN_DAYS = 3


@dataclass(frozen=True)
class NewAlert:
    key_id: int
    partner_id: int
    kind: str
    detail: dict[str, Any]


@dataclass
class Memo:
    """What one evaluation settled, kept only once its transaction has committed."""

    rate_quiet_until: dict[int, datetime] = field(default_factory=dict)
    endpoints: dict[int, set[str]] = field(default_factory=dict)
    hours: set[tuple[int, datetime]] = field(default_factory=set)


@dataclass
class _KeyBatch:
    partner_id: int
    endpoints: set[str] = field(default_factory=set)
    hours: set[datetime] = field(default_factory=set)
    first_429: tuple[datetime, str] | None = None


class AlertRules:
    """Per process: remembers what it has settled so that most flushes need no alert queries."""

    def __init__(self) -> None:
        self._rate_quiet_until: dict[int, datetime] = {}
        self._known_endpoints: dict[int, set[str]] = {}
        self._hours_checked: set[tuple[int, datetime]] = set()

    def evaluate(self, conn: Connection, counts: dict, now: datetime) -> tuple[list[NewAlert], Memo]:
        """Alerts for a batch of counts, read under the flush's lock and before the batch is written."""
        alerts: list[NewAlert] = []
        memo = Memo()
        for key_id, batch in _by_key(counts).items():
            alerts += self._rate_limited(conn, key_id, batch, now, memo)
            alerts += self._new_endpoints(conn, key_id, batch, memo)
            alerts += self._off_hours(conn, key_id, batch, memo)
        return alerts, memo

    def remember(self, memo: Memo, now: datetime) -> None:
        self._rate_quiet_until.update(memo.rate_quiet_until)
        for key_id, endpoints in memo.endpoints.items():
            self._known_endpoints.setdefault(key_id, set()).update(endpoints)
        self._hours_checked |= memo.hours
        self._hours_checked = {(k, h) for k, h in self._hours_checked if h > now - timedelta(hours=2)}

    def insert(self, conn: Connection, alerts: list[NewAlert], now: datetime) -> None:
        if not alerts:
            return
        conn.execute(insert(KeyAlert.__table__), [
            {"api_key_id": a.key_id, "partner_id": a.partner_id, "kind": a.kind, "detail": a.detail,
             "created_at": now}
            for a in alerts
        ])
        for a in alerts:
            log.info("API key alert %s: key id=%s partner id=%s %s", a.kind, a.key_id, a.partner_id, a.detail)

    def _rate_limited(self, conn, key_id: int, batch: _KeyBatch, now: datetime, memo: Memo) -> list[NewAlert]:
        if batch.first_429 is None or self._rate_quiet_until.get(key_id, now) > now:
            return []
        last = conn.scalar(select(func.max(KeyAlert.created_at)).where(
            KeyAlert.api_key_id == key_id, KeyAlert.kind == "rate_limited",
            KeyAlert.created_at > now - RATE_LIMITED_QUIET))
        if last is not None:
            memo.rate_quiet_until[key_id] = last + RATE_LIMITED_QUIET
            return []
        memo.rate_quiet_until[key_id] = now + RATE_LIMITED_QUIET
        minute, endpoint = batch.first_429
        return [NewAlert(key_id, batch.partner_id, "rate_limited",
                         {"minute": minute.isoformat(), "endpoint": endpoint})]

    def _new_endpoints(self, conn, key_id: int, batch: _KeyBatch, memo: Memo) -> list[NewAlert]:
        unknown = batch.endpoints - self._known_endpoints.get(key_id, set())
        if not unknown:
            return []
        memo.endpoints[key_id] = unknown
        used = set(conn.scalars(select(ApiUsage.endpoint).distinct().where(
            ApiUsage.api_key_id == key_id, ApiUsage.endpoint.in_(unknown))))
        fresh = unknown - used
        if not fresh or conn.scalar(select(ApiUsage.id).where(ApiUsage.api_key_id == key_id).limit(1)) is None:
            return []  # nothing new, or the key's very first calls
        return [NewAlert(key_id, batch.partner_id, "new_endpoint", {"endpoint": endpoint})
                for endpoint in sorted(fresh)]

    def _off_hours(self, conn, key_id: int, batch: _KeyBatch, memo: Memo) -> list[NewAlert]:
        alerts = []
        for hour in sorted(batch.hours):
            if (key_id, hour) in self._hours_checked:
                continue
            memo.hours.add((key_id, hour))
            days, usual = _history(conn, key_id, hour - OFF_HOURS_HISTORY, hour)
            if days < OFF_HOURS_MIN_DAYS or hour.hour in usual or _off_hours_alerted(conn, key_id, hour):
                continue
            alerts.append(NewAlert(key_id, batch.partner_id, "off_hours", {
                "hour": hour.isoformat(), "hour_of_day_utc": hour.hour, "usual_hours_utc": sorted(usual),
                "days_of_history": days}))
        return alerts


def _by_key(counts: dict) -> dict[int, _KeyBatch]:
    keys: dict[int, _KeyBatch] = {}
    for (key_id, partner_id, minute, endpoint), numbers in sorted(counts.items(), key=lambda item: item[0][2]):
        batch = keys.setdefault(key_id, _KeyBatch(partner_id))
        batch.endpoints.add(endpoint)
        batch.hours.add(minute.replace(minute=0))
        if numbers[3] and batch.first_429 is None:
            batch.first_429 = (minute, endpoint)
    return keys


def _history(conn: Connection, key_id: int, start: datetime, end: datetime) -> tuple[int, set[int]]:
    """(distinct days, distinct UTC hours of day) with usage of this key in [start, end)."""
    minute = ApiUsage.minute
    if conn.dialect.name == "postgresql":
        minute = func.timezone("UTC", minute)  # extract() would otherwise use the session's time zone
    rows = conn.execute(select(func.date(minute), extract("hour", minute)).distinct().where(
        ApiUsage.api_key_id == key_id, ApiUsage.minute >= start, ApiUsage.minute < end)).all()
    return len({day for day, _ in rows}), {int(hour) for _, hour in rows}


def _off_hours_alerted(conn: Connection, key_id: int, hour: datetime) -> bool:
    details = conn.scalars(select(KeyAlert.detail).where(
        KeyAlert.api_key_id == key_id, KeyAlert.kind == "off_hours", KeyAlert.created_at >= hour))
    return any(detail.get("hour") == hour.isoformat() for detail in details)


def acknowledge_alert(alert: KeyAlert, staff_user, ip: str | None = None) -> bool:
    """Mark an alert as seen by this staff member (audited). False when it was already acknowledged."""
    if alert.acknowledged_at is not None:
        return False
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by_id = staff_user.id
    audit.record("api_key.alert_acknowledged", actor=staff_user, target=alert, ip=ip,
                 detail={"kind": alert.kind, "api_key_id": alert.api_key_id, "partner_id": alert.partner_id})
    db.session.commit()
    return True
