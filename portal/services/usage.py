"""API key usage: per-minute counts buffered in each process, last-used stamps, and the alerts they raise.

The hot path only adds to an in-memory buffer. A flush writes the buffer in one short transaction when
the buffer's minute is over, when `flush_seconds` have passed since the last flush, or (in servers) from
a timer, so quiet processes flush too. Counts are upserted as additions, never overwrites, so any number
of processes can write the same key × minute × endpoint row. A process that stops normally writes
what it holds on exit; one that is killed loses at most `flush_seconds` of counts, the price of not
writing on every request.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from portal.extensions import db
from portal.models import ApiKey, ApiUsage
from portal.services.key_alerts import AlertRules

log = logging.getLogger(__name__)

LAST_USED_EVERY = timedelta(minutes=1)
COUNTERS = ("requests", "client_errors", "server_errors", "rate_limited")
UsageKey = tuple[int, int, datetime, str]  # key id, partner id, minute, endpoint


def counters_for(status: int) -> tuple[int, int, int, int]:
    """requests, client errors (4xx but 429), server errors (5xx), rate limited (429)."""
    return 1, int(400 <= status < 500 and status != 429), int(status >= 500), int(status == 429)


@dataclass
class Batch:
    """What one flush writes: counts per key × minute × endpoint, and each key's latest admitted use."""

    counts: dict[UsageKey, list[int]] = field(default_factory=dict)
    last_use: dict[int, tuple[datetime, str | None, str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.counts or self.last_use)

    def merge(self, later: "Batch") -> None:
        for usage_key, numbers in later.counts.items():
            row = self.counts.setdefault(usage_key, [0, 0, 0, 0])
            for i, n in enumerate(numbers):
                row[i] += n
        self.last_use.update(later.last_use)

    def oldest_minute(self) -> datetime | None:
        return min((usage_key[2] for usage_key in self.counts), default=None)


class UsageRecorder:
    """One per process (in app.extensions["portal.api_usage"]); thread-safe."""

    def __init__(self, flush_seconds: float = 5, clock: Callable[[], float] = time.time,
                 background: bool = True) -> None:
        self.flush_seconds = flush_seconds
        self.clock = clock
        self.background = background
        self.alerts = AlertRules()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._batch = Batch()
        self._batch_minute: datetime | None = None
        self._last_flush = clock()
        self._timer: threading.Timer | None = None
        self._engine: Engine | None = None
        self._stamped: dict[int, datetime] = {}  # key id → the last_used_at this process last wrote
        if background:
            atexit.register(self.flush)  # a worker restarted by a deploy keeps its last seconds of counts

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def record(self, engine: Engine, *, key_id: int, partner_id: int, endpoint: str, status: int,
               ip: str | None, admitted: bool) -> None:
        """Count one request made with a genuine key (admitted, or refused by its allowlist)."""
        now = self.now()
        minute = now.replace(second=0, microsecond=0)
        with self._lock:
            self._engine = engine
            row = self._batch.counts.setdefault((key_id, partner_id, minute, endpoint), [0, 0, 0, 0])
            for i, n in enumerate(counters_for(status)):
                row[i] += n
            if admitted:
                self._batch.last_use[key_id] = (now, ip, endpoint)
            elapsed = now.timestamp() - self._last_flush  # negative if the clock was set back: flush too
            due = (elapsed >= self.flush_seconds or elapsed < 0
                   or (self._batch_minute is not None and minute != self._batch_minute))
            if self._batch_minute is None:
                self._batch_minute = minute
            if not due:
                self._arm_timer()
        if due:
            self.flush()

    def record_here(self, **request) -> None:
        """`record` on the app's own database, for a door that keeps no engine of its own."""
        self.record(db.engine, **request)

    def _arm_timer(self) -> None:
        """Make sure a quiet process still writes what it holds (servers only; call with the lock held)."""
        if self.background and self._timer is None:
            self._timer = threading.Timer(max(self.flush_seconds, 1), self._flush_from_timer)
            self._timer.daemon = True
            self._timer.start()

    def _flush_from_timer(self) -> None:
        with self._lock:
            self._timer = None
        self.flush()

    def close(self) -> None:
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def flush(self) -> None:
        """Write what is buffered. Never raises: a failed write is kept for the next flush."""
        if not self._flush_lock.acquire(blocking=False):
            with self._lock:
                self._arm_timer()  # another thread is writing; what it did not take goes next time
            return
        try:
            with self._lock:
                batch, self._batch, self._batch_minute = self._batch, Batch(), None
                self._last_flush = self.clock()
                engine = self._engine
            if not batch or engine is None:
                return
            try:
                self._write(engine, batch, self.now())
            except Exception:  # usage accounting must never turn an API answer into an error
                log.exception("could not write API key usage; keeping it for the next flush")
                with self._lock:
                    batch.merge(self._batch)
                    self._batch, self._batch_minute = batch, batch.oldest_minute()
                    self._arm_timer()
        finally:
            self._flush_lock.release()

    def _write(self, engine: Engine, batch: Batch, now: datetime) -> None:
        key_ids = sorted({usage_key[0] for usage_key in batch.counts} | set(batch.last_use))
        with engine.connect() as conn:
            _lock_keys(conn, key_ids)
            alerts, memo = self.alerts.evaluate(conn, batch.counts, now)  # reads before this batch's writes
            _upsert_counts(conn, batch.counts)
            stamped = _stamp_last_used(conn, batch.last_use, self._stamped)
            self.alerts.insert(conn, alerts, now)
            conn.commit()
        self.alerts.remember(memo, now)
        self._stamped.update(stamped)


def _lock_keys(conn: Connection, key_ids: list[int]) -> None:
    """Serialise flushes that touch the same keys across processes, so each alert is raised once."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # SQLite has one writer; take its lock before reading
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'")  # a stuck lock delays usage, never requests
        conn.execute(select(ApiKey.id).where(ApiKey.id.in_(key_ids)).order_by(ApiKey.id).with_for_update())


def _upsert_counts(conn: Connection, counts: dict[UsageKey, list[int]]) -> None:
    if not counts:
        return
    table = ApiUsage.__table__
    insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.api_key_id, table.c.minute, table.c.endpoint],
        set_={name: table.c[name] + stmt.excluded[name] for name in COUNTERS},
    )
    conn.execute(stmt, [
        {"api_key_id": key_id, "partner_id": partner_id, "minute": minute, "endpoint": endpoint,
         **dict(zip(COUNTERS, numbers))}
        for (key_id, partner_id, minute, endpoint), numbers in counts.items()
    ])


def _stamp_last_used(conn: Connection, last_use: dict[int, tuple[datetime, str | None, str]],
                     stamped: dict[int, datetime]) -> dict[int, datetime]:
    """last_used_* at most once a minute per key: skipped in process, and guarded in SQL across processes."""
    written = {}
    for key_id, (at, ip, endpoint) in last_use.items():
        previous = stamped.get(key_id)
        if previous is not None and at - previous < LAST_USED_EVERY:
            continue
        conn.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id,
                   or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= at - LAST_USED_EVERY))
            .values(last_used_at=at, last_used_ip=ip, last_used_endpoint=endpoint[:200])
        )
        written[key_id] = at
    return written
