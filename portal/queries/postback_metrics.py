"""Network-wide postback delivery health for the staff console (not partner-scoped).

Every function takes `now` so that a page and a test agree on the window. Counts are done by the
database; the lag percentiles too on PostgreSQL (percentile_cont), while SQLite, which has no
percentile aggregate, returns the window's lags and Python interpolates the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Float, Integer, case, cast, func, select

from portal.extensions import db
from portal.models import Partner, Postback, PostbackAttempt, PostbackDelivery
from portal.models.postbacks import POSTBACK_DELETED

MINUTE = 60


@dataclass(frozen=True)
class MinuteCount:
    minute: datetime  # start of the UTC minute
    attempts: int
    delivered: int
    failed: int  # failed or blocked


@dataclass(frozen=True)
class Throughput:
    per_minute: list[MinuteCount]  # every minute of the window, oldest first, zeros included
    attempts: int
    delivered: int

    @property
    def success_rate(self) -> float | None:
        """Delivered attempts over all attempts in the window; None when there were none."""
        return self.delivered / self.attempts if self.attempts else None


@dataclass(frozen=True)
class Lag:
    """Seconds from a delivery's creation (the conversion's commit) to its first attempt."""

    samples: int
    p50: float | None
    p95: float | None


@dataclass(frozen=True)
class Backlog:
    pending: int
    due: int  # pending and already due: what the workers have not caught up with
    dead: int


@dataclass(frozen=True)
class TurnedOff:
    postback_id: int
    partner_id: int
    partner_name: str
    offer_id: int | None
    url: str | None
    disabled_at: datetime
    reason: str | None


def _minute_number_sql(column, dialect: str):
    if dialect == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff'; cut the fraction so that :59.9 stays in its minute.
        return cast(func.strftime("%s", func.substr(column, 1, 19)), Integer) // MINUTE
    return cast(func.floor(func.extract("epoch", column) / MINUTE), Integer)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def throughput(now: datetime, window: timedelta = timedelta(hours=1)) -> Throughput:
    """Attempts per minute (made by the workers, "Retry now" and "Send test" alike) over the window."""
    since = now - window
    minute = _minute_number_sql(PostbackAttempt.attempted_at, _dialect()).label("minute")
    stmt = (select(minute, func.count(),
                   func.sum(case((PostbackAttempt.outcome == "delivered", 1), else_=0)))
            .where(PostbackAttempt.attempted_at > since, PostbackAttempt.attempted_at <= now)
            .group_by(minute))
    found = {int(m): (int(n), int(ok or 0)) for m, n, ok in db.session.execute(stmt)}
    first, last = int(since.timestamp()) // MINUTE, int(now.timestamp()) // MINUTE  # partial end minutes too
    per_minute = []
    for number in range(first, last + 1):
        attempts, delivered = found.get(number, (0, 0))
        per_minute.append(MinuteCount(datetime.fromtimestamp(number * MINUTE, UTC), attempts, delivered,
                                      attempts - delivered))
    return Throughput(per_minute=per_minute, attempts=sum(m.attempts for m in per_minute),
                      delivered=sum(m.delivered for m in per_minute))


def delivery_lag(now: datetime, window: timedelta = timedelta(hours=1)) -> Lag:
    """p50 and p95 of first_attempt_at − created_at over deliveries first attempted in the window."""
    d = PostbackDelivery
    in_window = (d.first_attempt_at.is_not(None), d.first_attempt_at > now - window, d.first_attempt_at <= now)
    if _dialect() == "postgresql":
        seconds = func.extract("epoch", d.first_attempt_at - d.created_at)
        samples, p50, p95 = db.session.execute(
            select(func.count(), func.percentile_cont(0.5).within_group(seconds),
                   func.percentile_cont(0.95).within_group(seconds)).where(*in_window)).one()
        return Lag(int(samples), _float(p50), _float(p95))
    seconds = cast((func.julianday(d.first_attempt_at) - func.julianday(d.created_at)) * 86_400.0, Float)
    values = sorted(float(v) for v in db.session.scalars(select(seconds).where(*in_window)))
    return Lag(len(values), percentile(values, 0.5), percentile(values, 0.95))


def percentile(ordered: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks: what PostgreSQL's percentile_cont computes."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def backlog(now: datetime) -> Backlog:
    d = PostbackDelivery
    pending, due, dead = db.session.execute(select(
        func.sum(case((d.status == "pending", 1), else_=0)),
        func.sum(case(((d.status == "pending") & (d.next_attempt_at <= now), 1), else_=0)),
        func.sum(case((d.status == "dead", 1), else_=0)),
    )).one()
    return Backlog(int(pending or 0), int(due or 0), int(dead or 0))


def turned_off(now: datetime, window: timedelta = timedelta(days=7), limit: int = 100) -> list[TurnedOff]:
    """Postbacks the worker turned off after repeated failures in the window (and not deleted since),
    most recent first."""
    stmt = (select(Postback, Partner.name).join(Partner, Partner.id == Postback.partner_id)
            .where(Postback.disabled_at.is_not(None), Postback.disabled_at > now - window,
                   Postback.status != POSTBACK_DELETED)
            .order_by(Postback.disabled_at.desc(), Postback.id.desc()).limit(limit))
    return [TurnedOff(p.id, p.partner_id, name, p.offer_id, p.url, p.disabled_at, p.disabled_reason)
            for p, name in db.session.execute(stmt)]


def _float(value) -> float | None:
    return None if value is None else float(value)
