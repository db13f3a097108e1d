"""What a sent (or refused) postback request changes: the attempt log, the delivery, the failure streak.

Results are recorded in batches, one transaction per batch: the worker's throughput is bounded by
database round trips, not by the network. Rows are locked in a fixed order (deliveries by id, then
postbacks by id) so concurrent workers never deadlock.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from portal.delivery import schedule
from portal.delivery.http import SendResult, SendSettings, send
from portal.models import Postback, PostbackAttempt, PostbackDelivery
from portal.models.base import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One claimed delivery, ready to send: the URL rendered from the postback's current template."""

    delivery_id: int
    postback_id: int
    kind: str
    claim: datetime  # the claimed_until this claim wrote: whoever still finds it there owns the row
    url: str
    manual: bool = False
    was_dead: bool = False
    refused: SendResult | None = None  # set when the URL could not be rendered: no request is made

    def send(self, settings: SendSettings) -> SendResult:
        return self.refused if self.refused is not None else send(self.url, settings)

    def moves_streak(self, result: SendResult) -> bool:
        """Test sends never touch the streak; manual sends end it when they succeed but never extend it."""
        return self.kind != "test" and (result.outcome == "delivered" or not self.manual)


def kill(delivery: PostbackDelivery, reason: str) -> None:
    delivery.status = "dead"
    delivery.next_attempt_at = None
    delivery.claimed_until = None
    delivery.last_error = reason[:500]


def record_outcomes(session: Session, outcomes: Sequence[tuple[Job, SendResult]]) -> list[tuple[int, int]]:
    """Log each attempt and move its delivery and its postback's failure streak on; one commit.

    A 2xx marks the delivery delivered whoever holds it (it is the truth). A failure changes the delivery's
    schedule only while the job still owns it: once its lease ran out, the worker that re-claimed it decides.
    Returns the (delivery id, attempt number) of each attempt logged.
    """
    now = utcnow()
    deliveries = {d.id: d for d in session.scalars(
        select(PostbackDelivery).where(PostbackDelivery.id.in_({job.delivery_id for job, _ in outcomes}))
        .order_by(PostbackDelivery.id).with_for_update(key_share=True).execution_options(populate_existing=True))}
    # Every postback whose streak this batch may move is locked up front, in id order, and FOR NO KEY
    # UPDATE (PostgreSQL), which the attempt log's foreign-key checks (KEY SHARE) never wait for: two
    # workers recording batches that touch the same postbacks queue behind each other, never deadlock.
    touched = {job.postback_id for job, result in outcomes if job.moves_streak(result)}
    locked_postbacks = {p.id: p for p in session.scalars(
        select(Postback).where(Postback.id.in_(touched)).order_by(Postback.id)
        .with_for_update(key_share=True).execution_options(populate_existing=True))} if touched else {}
    switched_off: dict[int, str] = {}
    attempts = []
    for job, result in outcomes:
        delivery = deliveries.get(job.delivery_id)
        if delivery is None:
            log.warning("delivery %s vanished before its attempt could be recorded", job.delivery_id)
            continue
        attempts.append(_log_attempt(delivery, job, result))
        delivered = result.outcome == "delivered"
        if delivery.claimed_until == job.claim:
            delivery.claimed_until = None
            if not delivered and delivery.status == "pending":
                _after_failure(session, delivery, job, result, now)
        if delivered:
            delivery.status, delivery.next_attempt_at = "delivered", None
            delivery.delivered_at = delivery.delivered_at or now
        if not job.moves_streak(result):
            continue
        postback = locked_postbacks.get(job.postback_id)
        if postback is None:
            continue
        if delivered:
            if postback.consecutive_failures or postback.first_failure_at is not None:
                postback.consecutive_failures, postback.first_failure_at = 0, None
        elif postback.status == "active":
            reason = _extend_streak(postback, result, now)
            if reason is not None:
                switched_off[postback.id] = reason
        if job.postback_id in switched_off and delivery.status == "pending":
            kill(delivery, f"Not retried: {switched_off[job.postback_id]}")
    if attempts:
        # A plain executemany INSERT (no RETURNING), cheaper than the unit of work for a batch of rows.
        session.execute(insert(PostbackAttempt), attempts)
    session.commit()
    for postback_id, reason in switched_off.items():
        _retire_pending(session, postback_id, reason)
    return [(row["delivery_id"], row["attempt_number"]) for row in attempts]


def _log_attempt(delivery: PostbackDelivery, job: Job, result: SendResult) -> dict:
    """Update the delivery's summary of its latest attempt; returns the attempt's row for the log."""
    delivery.attempts += 1
    delivery.last_attempt_at = result.started_at
    delivery.last_url = job.url
    delivery.last_status_code = result.status_code
    delivery.last_latency_ms = result.latency_ms
    delivery.last_response_excerpt = result.excerpt
    delivery.last_error = result.error
    delivery.first_attempt_at = delivery.first_attempt_at or result.started_at
    return {
        "delivery_id": delivery.id, "postback_id": job.postback_id, "attempt_number": delivery.attempts,
        "manual": job.manual, "attempted_at": result.started_at, "url": job.url, "resolved_ip": result.resolved_ip,
        "outcome": result.outcome, "status_code": result.status_code, "latency_ms": result.latency_ms,
        "error_class": result.error_class, "error": result.error, "response_excerpt": result.excerpt,
    }


def _after_failure(session: Session, delivery: PostbackDelivery, job: Job, result: SendResult,
                   now: datetime) -> None:
    """Schedule the next automatic attempt, or give up; manual and test sends are tried once."""
    if job.kind == "test" or job.was_dead:
        kill(delivery, result.error or "failed")
        return
    if job.manual:
        return  # "Retry now" on a pending delivery: its automatic schedule carries on as it was
    # Automatic attempts so far, counting this one (its log row is written at the end of the batch).
    failures = 1 + session.scalar(select(func.count()).select_from(PostbackAttempt).where(
        PostbackAttempt.delivery_id == delivery.id, PostbackAttempt.manual.is_(False)))
    delay = schedule.retry_delay(
        failures,
        overloaded=result.error_class == "timeout" or result.status_code in schedule.OVERLOAD_STATUSES,
        retry_after=schedule.parse_retry_after(result.retry_after, now),
    )
    if delay is None:
        kill(delivery, f"Gave up after {failures} attempts; last error: {result.error or 'failed'}")
    else:
        delivery.next_attempt_at = now + delay


def _extend_streak(postback: Postback, result: SendResult, now: datetime) -> str | None:
    """Count a failure; returns the reason if it switched the postback off."""
    if schedule.continues_streak(postback.first_failure_at, now):
        postback.consecutive_failures += 1
    else:
        postback.consecutive_failures, postback.first_failure_at = 1, now
    if postback.consecutive_failures < schedule.DISABLE_AFTER_FAILURES:
        return None
    reason = (f"Turned off after {postback.consecutive_failures} failed deliveries in a row since "
              f"{postback.first_failure_at:%Y-%m-%d %H:%M} UTC; last error: {result.error or 'failed'}")[:500]
    postback.status, postback.disabled_at, postback.disabled_reason = "inactive", now, reason
    log.warning("postback %s switched off: %s", postback.id, reason)
    return reason


def _retire_pending(session: Session, postback_id: int, reason: str) -> None:
    """Dead-letter the pending deliveries of a postback just switched off: its own transaction, after the
    postback's lock is released, so it never waits on a worker that waits on that lock."""
    session.execute(
        update(PostbackDelivery)
        .where(PostbackDelivery.postback_id == postback_id, PostbackDelivery.status == "pending")
        .values(status="dead", next_attempt_at=None, claimed_until=None, last_error=f"Not sent: {reason}"[:500])
        .execution_options(synchronize_session=False))
    session.commit()
