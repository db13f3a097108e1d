"""Group commit for clicks and impressions: one writer thread per process commits what concurrent requests
hand it in one transaction, and wakes each request once the transaction holding ITS row has committed.

Why: on the click path the database round trips and the commit cost more than everything else together;
batching turns N commits (and N statement executions) into one while each request still answers only
after its row is durable, so a redirected click is never lost with the process. Batches form by
themselves: while one commit is in flight the next requests queue up; nothing waits on a timer. The
writer keeps one connection (Core, no ORM session) while traffic flows and gives it back after IDLE_SECONDS
without a row; a batch that fails on the connection gives it back at once, so the next takes a fresh one.
A batch that fails on a row's own data (IntegrityError, DataError) is retried row by row, so one bad row
fails only its own request; any other failure (the connection, the pool) fails the whole batch at once,
since retrying each row against a database that is down only makes every request wait longer.

At most MAX_QUEUED rows wait: past that the database cannot keep up, and `write` raises TrafficBacklog at
once (the door answers 503) instead of queueing work no one will wait for. A row whose request gave up
(WAIT_SECONDS passed, the door answered 503) is dropped if it is still queued; one already in the
transaction in flight may still commit after the 503: one click too many, never one lost.
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace  # the rollups read a row's attributes; no ORM object is loaded

from sqlalchemy import Connection, Engine, insert
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from portal.models import Click, Impression, ReportRollup
from portal.services.rollups import ON_CONFLICT_ADD, UPSERT_COLUMNS, RollupDelta, apply, upsert_rows

IDLE_SECONDS = 1.0  # with no row for this long, the writer gives its connection back
MAX_BATCH = 500  # rows per transaction at most
WAIT_SECONDS = 30  # a request gives up on its row after this long (the database is stuck: a 503)
MAX_QUEUED = 10_000  # rows waiting at most; past this a click is refused at once (a 503)
ROW_ERRORS = (IntegrityError, DataError)  # what one row's own values cause: worth retrying the others alone
_INSERTS = {"click": insert(Click.__table__), "impression": insert(Impression.__table__)}  # built once


class TrafficBacklog(Exception):
    """The writer already has MAX_QUEUED rows waiting: the database cannot keep up."""


@dataclass
class _Row:
    engine: Engine
    kind: str  # "click" or "impression"
    values: dict
    done: Future = field(default_factory=Future)


class TrafficWriter:
    """Hand rows to `write`; it returns once they are committed, or raises what the commit raised."""

    def __init__(self, max_batch: int = MAX_BATCH, max_queued: int = MAX_QUEUED) -> None:
        self.max_batch = max_batch
        self.max_queued = max_queued
        self._queue: queue.SimpleQueue[_Row] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def write(self, engine: Engine, kind: str, values: dict) -> None:
        row = _Row(engine, kind, values)
        self._ensure_running()
        if self.backlog() >= self.max_queued:
            raise TrafficBacklog(f"{self.backlog()} rows already waiting")
        self._queue.put(row)
        try:
            row.done.result(WAIT_SECONDS)
        except TimeoutError:
            row.done.cancel()  # still queued: the writer drops it, so nothing commits after the 503
            raise

    def backlog(self) -> int:
        """Rows handed over and not yet taken into a transaction (approximate, as any queue size is)."""
        return self._queue.qsize()

    def _ensure_running(self) -> None:
        # Started on first use in each process: a thread does not survive gunicorn's fork.
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._queue = queue.SimpleQueue() if self._pid != os.getpid() else self._queue
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="traffic-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                row = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                release_connection()  # no traffic: give the connection back to the pool until there is
                row = self._queue.get()
            batch = []
            while True:
                if row.done.set_running_or_notify_cancel():  # False: its request gave up already; skip it
                    batch.append(row)
                if len(batch) >= self.max_batch:
                    break
                try:
                    row = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._commit(batch)

    def _commit(self, batch: list[_Row]) -> None:
        try:
            _write(batch)
        except ROW_ERRORS as error:
            if len(batch) == 1:
                batch[0].done.set_exception(error)
                return
            for row in batch:
                self._commit([row])
            return
        except Exception as error:  # noqa: BLE001  (handed to the waiting requests, which answer for it)
            for row in batch:
                row.done.set_exception(error)
            return
        for row in batch:
            row.done.set_result(None)


@dataclass
class _Held:
    engine: Engine
    pool: object  # the engine's pool when the connection was taken (dispose() replaces it)
    connection: Connection
    autocommit: bool


_held: dict[int, _Held] = {}  # writer thread id → the connection it keeps while traffic flows


def _connection(engine: Engine, autocommit: bool = False) -> Connection:
    """The writer thread's connection to `engine`, kept between batches: checking one out of the pool for
    every batch (and pinging it) cost more than the batch's own statements. In autocommit for PostgreSQL's
    one-statement batches (each statement is its own transaction)."""
    held = _held.get(threading.get_ident())
    if held is not None and held.engine is engine and held.pool is engine.pool and not held.connection.closed \
            and not held.connection.invalidated and held.autocommit == autocommit:
        return held.connection
    release_connection()
    pool, connection = engine.pool, engine.connect()
    if autocommit:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
    _held[threading.get_ident()] = _Held(engine, pool, connection, autocommit)
    return connection


def release_connection() -> None:
    """Give the writer thread's connection back (idle, or after an error: the next batch takes a fresh one,
    pinged on checkout). If its engine was disposed meanwhile, its pool is gone: close it outright."""
    held = _held.pop(threading.get_ident(), None)
    if held is not None:
        if held.engine.pool is not held.pool and not held.connection.invalidated:
            held.connection.invalidate()  # closes the driver's connection, which the old pool would leave open
        held.connection.close()


def _write(batch: list[_Row]) -> None:
    delta = RollupDelta()
    for row in batch:
        if row.kind == "click":
            delta.click(SimpleNamespace(**row.values))
        else:
            delta.impression(SimpleNamespace(**row.values))
    engine = batch[0].engine
    if engine.dialect.name == "postgresql":
        statement = _one_statement(batch, delta)
        if statement is not None:
            _on_held_connection(engine, lambda connection: connection.exec_driver_sql(*statement), autocommit=True)
            return
        with engine.begin() as connection:  # a bigger batch: a pooled connection, in a transaction
            _statements(connection, batch, delta)
        return
    _on_held_connection(engine, lambda connection: _in_transaction(connection, batch, delta))


def _statements(connection: Connection, batch: list[_Row], delta: RollupDelta) -> None:
    for kind, statement in _INSERTS.items():
        rows = [row.values for row in batch if row.kind == kind]
        if rows:
            connection.execute(statement, rows)
    apply(connection, delta)


def _in_transaction(connection: Connection, batch: list[_Row], delta: RollupDelta) -> None:
    with connection.begin():
        _statements(connection, batch, delta)


def _on_held_connection(engine: Engine, work, autocommit: bool = False) -> None:
    """Run `work` on the writer thread's held connection. Found dead (a held connection is not pinged; the
    pool pings on checkout), it is replaced and `work` runs once more. Should the first try have committed
    just before the connection broke (its answer lost), the clicks are refused the second time by their
    transaction ids' uniqueness (a 503 for clicks that were recorded: one too many, never one lost); an
    impression, which has no such id, would count twice in that rare case."""
    for attempt in (1, 2):
        connection = _connection(engine, autocommit)
        try:
            work(connection)
            return
        except ROW_ERRORS:
            raise  # rolled back; the connection is fine
        except DBAPIError as error:
            release_connection()
            if attempt == 1 and error.connection_invalidated:
                continue  # the server dropped the connection (a restart, a failover)
            raise
        except Exception:
            release_connection()  # it may be broken (the network dropped)
            raise


_TABLES = {"click": Click.__tablename__, "impression": Impression.__tablename__}
ONE_STATEMENT_ROWS = 4  # up to this many rows, PostgreSQL takes the batch as one statement


def _one_statement(batch: list[_Row], delta: RollupDelta) -> tuple[str, tuple] | None:
    """A small batch as one PostgreSQL statement (its INSERTs as data-modifying CTEs of the rollup upsert),
    run in autocommit: atomic as a statement is, in one round trip instead of BEGIN, two statements and
    COMMIT. The group commit's batches are mostly of one or two rows, where that halved the writer's time;
    bigger ones (or rows of differing columns) go the transaction way. None: not for this batch."""
    if len(batch) > ONE_STATEMENT_ROWS:
        return None
    columns = {}
    for row in batch:
        if columns.setdefault(row.kind, tuple(row.values)) != tuple(row.values):
            return None
    counts = tuple((kind, columns[kind], sum(row.kind == kind for row in batch)) for kind in sorted(columns))
    rollups = upsert_rows(delta)
    parameters = [row.values[column] for kind, names, _ in counts for row in batch if row.kind == kind
                  for column in names]
    for values in rollups:
        parameters.extend(values)
    return _one_statement_sql(counts, len(rollups)), tuple(parameters)


@lru_cache(maxsize=256)
def _one_statement_sql(counts: tuple[tuple[str, tuple[str, ...], int], ...], rollup_rows: int) -> str:
    """WITH c0 AS (INSERT INTO clicks …), … INSERT INTO report_rollups … ON CONFLICT … (names are the
    tables' own columns, values are parameters)."""
    inserts = [f"c{n} AS (INSERT INTO {_TABLES[kind]} ({', '.join(names)}) VALUES "
               + ", ".join([f"({', '.join(['%s'] * len(names))})"] * rows) + ")"
               for n, (kind, names, rows) in enumerate(counts)]
    upsert = (f"INSERT INTO {ReportRollup.__tablename__} ({', '.join(UPSERT_COLUMNS)}) VALUES "
              + ", ".join([f"({', '.join(['%s'] * len(UPSERT_COLUMNS))})"] * rollup_rows) + f" {ON_CONFLICT_ADD}")
    return f"WITH {', '.join(inserts)} {upsert}"
