"""Group commit for clicks and impressions: one writer thread per process commits what concurrent requests
hand it in one transaction, and wakes each request once the transaction holding ITS row has committed.

Why: on the click path the database round trips and the commit cost more than everything else together;
batching turns N commits (and N statement executions) into one while each request still answers only
after its row is durable, so a redirected click is never lost with the process. Batches form by
themselves: while one commit is in flight the next requests queue up; nothing waits on a timer.
A batch that fails is retried row by row, so one bad row fails only its own request.
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from types import SimpleNamespace  # the rollups read a row's attributes; no ORM object is loaded

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from portal.models import Click, Impression
from portal.services.rollups import RollupDelta, apply

MAX_BATCH = 500  # rows per transaction at most
WAIT_SECONDS = 30  # a request gives up on its row after this long (the database is stuck: a 503)


@dataclass
class _Row:
    engine: Engine
    kind: str  # "click" or "impression"
    values: dict
    done: Future = field(default_factory=Future)


class TrafficWriter:
    """Hand rows to `write`; it returns once they are committed, or raises what the commit raised."""

    def __init__(self, max_batch: int = MAX_BATCH) -> None:
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Row] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def write(self, engine: Engine, kind: str, values: dict) -> None:
        row = _Row(engine, kind, values)
        self._ensure_running()
        self._queue.put(row)
        row.done.result(WAIT_SECONDS)

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
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)

    def _commit(self, batch: list[_Row]) -> None:
        try:
            _write(batch)
        except Exception as error:  # noqa: BLE001  (handed to the waiting requests, which answer for it)
            if len(batch) == 1:
                batch[0].done.set_exception(error)
                return
            for row in batch:
                self._commit([row])
            return
        for row in batch:
            row.done.set_result(None)


def _write(batch: list[_Row]) -> None:
    delta = RollupDelta()
    with Session(batch[0].engine) as session:
        for kind, table in (("click", Click.__table__), ("impression", Impression.__table__)):
            rows = [row for row in batch if row.kind == kind]
            if rows:
                session.execute(insert(table), [row.values for row in rows])
        for row in batch:
            if row.kind == "click":
                delta.click(SimpleNamespace(**row.values))
            else:
                delta.impression(SimpleNamespace(**row.values))
        apply(session, delta)
        session.commit()
