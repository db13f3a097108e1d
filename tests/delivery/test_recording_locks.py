"""Two workers recording batches that touch the same postbacks in opposite order queue, never deadlock.

PostgreSQL only (SQLite has one writer). Each recording is held, by a hook on the attempt-log insert, until
the other has reached the same point or two seconds have passed: with locks taken in any other order than
"every touched postback, in id order, up front", both would hold one postback and wait for the other.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from portal.delivery.http import SendResult
from portal.delivery.recording import Job, record_outcomes
from portal.extensions import db as _db
from portal.models import PostbackDelivery
from portal.models.base import utcnow
from tests.conftest import database_url

pytestmark = pytest.mark.skipif(not database_url().startswith("postgresql"),
                                reason="row locks between concurrent workers are PostgreSQL's")


def _outcome(delivery: PostbackDelivery, ok: bool) -> tuple[Job, SendResult]:
    job = Job(delivery_id=delivery.id, postback_id=delivery.postback_id, kind="conversion",
              claim=delivery.claimed_until, url="https://tracker.example/pb")
    result = SendResult(outcome="delivered" if ok else "failed", started_at=utcnow(),
                        status_code=200 if ok else 500, latency_ms=5, error_class=None if ok else "http")
    return job, result


def test_crossing_batches_both_commit(app, db, make):
    partner = make.partner()
    first, second = make.server_postback(partner), make.server_postback(partner)
    first.consecutive_failures = second.consecutive_failures = 2  # a success has a streak to reset
    db.session.commit()
    lease = utcnow() + timedelta(minutes=5)
    rows = {name: make.delivery(postback, claimed_until=lease, next_attempt_at=utcnow())
            for name, postback in (("a1", first), ("a2", second), ("b1", first), ("b2", second))}
    batches = {"a": [_outcome(rows["a1"], ok=False), _outcome(rows["a2"], ok=True)],   # fails 1, resets 2
               "b": [_outcome(rows["b2"], ok=False), _outcome(rows["b1"], ok=True)]}   # fails 2, resets 1

    both_inside = threading.Barrier(2)

    def hold(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO POSTBACK_ATTEMPTS"):
            try:
                both_inside.wait(timeout=2)
            except threading.BrokenBarrierError:
                pass  # the other batch is queued behind this one's locks: go on

    errors: list[BaseException] = []

    def record(name: str) -> None:
        with app.app_context():
            try:
                record_outcomes(_db.session, batches[name])
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                _db.session.remove()

    event.listen(_db.engine, "before_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=record, args=(name,)) for name in batches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        event.remove(_db.engine, "before_cursor_execute", hold)
    assert not errors, errors
    db.session.expire_all()
    statuses = {name: db.session.get(PostbackDelivery, row.id).status for name, row in rows.items()}
    assert statuses["a2"] == statuses["b1"] == "delivered"
    assert db.session.scalars(select(PostbackDelivery.attempts).order_by(PostbackDelivery.id)).all() == [1, 1, 1, 1]
