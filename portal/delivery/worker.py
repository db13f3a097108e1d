"""The outbox worker: claim due deliveries, send them, log every attempt, retry, switch failing postbacks off.

Delivery is at-least-once. A worker claims a batch of rows by setting `claimed_until` (a lease) and
commits the claim before sending; results are recorded afterwards (portal.delivery.recording), the attempt,
the delivery and the postback's failure streak in one transaction. A worker killed mid-send leaves its rows
claimed until the lease passes, then any worker claims and sends them again, with the same event id. On
PostgreSQL several workers claim side by side (`FOR UPDATE SKIP LOCKED`); on SQLite there is one worker
and the claim is a guarded UPDATE, so a concurrent "Retry now" cannot take the same row.

`deliver_now` and `run_once` are what the rest of the app calls ("Retry now", "Send test", `--once`).
"""

from __future__ import annotations

import json
import logging
import math
import time
from concurrent.futures import ALL_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from portal.delivery import failures, macros
from portal.delivery.http import SendResult, SendSettings
from portal.delivery.recording import Job, kill, record_outcomes
from portal.extensions import db
from portal.models import Postback, PostbackAttempt, PostbackDelivery
from portal.models.base import utcnow

DEFAULT_BATCH = 50
DEFAULT_CONCURRENCY = 8
MIN_LEASE = timedelta(seconds=60)
LEASE_MARGIN_SECONDS = 30
# run_batch stops waiting for sends this long before their lease ends, leaving time to record the others.
STOP_WAITING_BEFORE_LEASE_END_SECONDS = 5
RECORD_INTERVAL_SECONDS = 0.05
# Partners' deleted postbacks are kept (soft-deleted, portal.affiliate.postbacks) with this status.
DELETED_STATUS = "deleted"

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A delivery that cannot be sent on request; the message says why, for people."""


class DeliveryNotFound(DeliveryError):
    pass


class DeliveryInProgress(DeliveryError):
    """A worker holds the delivery right now; sending it as well would only make a duplicate."""


class PostbackUnavailable(DeliveryError):
    """The postback was deleted, or is no longer a server postback, or is off (automatic sends only)."""


def lease_for(settings: SendSettings, batch: int, concurrency: int) -> timedelta:
    """Long enough for every send of a batch to end (each is bounded by the total timeout)."""
    rounds = math.ceil(batch / max(1, concurrency))
    return max(MIN_LEASE, timedelta(seconds=settings.total_timeout * rounds + LEASE_MARGIN_SECONDS))


def _claimable(now: datetime):
    return or_(PostbackDelivery.claimed_until.is_(None), PostbackDelivery.claimed_until < now)


def _unsendable(postback: Postback | None, *, manual: bool) -> str | None:
    if postback is None or postback.status == DELETED_STATUS:
        return "the postback was deleted"
    if postback.delivery_method != "postback" or not postback.url:
        return "the postback is no longer a server postback"
    if postback.status != "active" and not manual:  # a person may still send to a postback that is off
        return "the postback is turned off"
    return None


def _job(delivery: PostbackDelivery, postback: Postback, claim: datetime, *, manual: bool = False,
         was_dead: bool = False) -> Job:
    template = postback.url or ""
    try:
        url = macros.render(template, json.loads(delivery.macro_values or "{}"))
        refused = None
    except (macros.TemplateError, ValueError) as err:
        url = template
        error_class, error = failures.unrenderable(err)
        refused = SendResult("blocked", utcnow(), error_class=error_class, error=error[:500])
    return Job(delivery.id, postback.id, delivery.kind, claim, url, manual, was_dead, refused)


def claim_jobs(session: Session, limit: int, lease: timedelta) -> tuple[int, list[Job]]:
    """Claim up to `limit` due deliveries and commit the claim; returns (rows claimed, jobs to send).

    Deliveries whose postback was deleted or turned off are dead-lettered in the same transaction,
    without a request.
    """
    now = utcnow()
    claim = now + lease
    due = (select(PostbackDelivery.id)
           .where(PostbackDelivery.status == "pending", PostbackDelivery.next_attempt_at <= now, _claimable(now))
           .order_by(PostbackDelivery.next_attempt_at)
           .limit(limit)
           .with_for_update(skip_locked=True))  # rendered only on PostgreSQL; SQLite has a single worker
    # One statement claims and loads the rows; the repeated guard keeps a concurrent "Retry now" on
    # SQLite (no row locks there) from being claimed twice.
    deliveries = list(session.scalars(
        update(PostbackDelivery)
        .where(PostbackDelivery.id.in_(due), _claimable(now))
        .values(claimed_until=claim)
        .returning(PostbackDelivery)
        .execution_options(synchronize_session=False, populate_existing=True)
    ))
    if not deliveries:
        session.rollback()
        return 0, []
    postbacks = {p.id: p for p in session.scalars(
        select(Postback).where(Postback.id.in_({d.postback_id for d in deliveries})))}
    jobs = []
    for delivery in deliveries:
        postback = postbacks.get(delivery.postback_id)
        problem = _unsendable(postback, manual=False)
        if problem is not None:
            kill(delivery, f"Not sent: {problem}")
        else:
            jobs.append(_job(delivery, postback, claim))
    session.commit()
    return len(deliveries), jobs


def deliver_now(delivery_id: int, *, manual: bool = True) -> PostbackAttempt:
    """Send one attempt of a delivery right now, record it, commit, and return the attempt.

    For "Retry now" and "Send test". A dead delivery is made pending again and tried once: if that
    fails it is dead again. A manual failure does not count toward the postback's failure streak; a
    success resets it. Raises DeliveryNotFound, DeliveryInProgress (a worker is sending it right now) or
    PostbackUnavailable (deleted, not a server postback, or off and `manual` is False).
    """
    session = db.session
    settings = SendSettings.from_config(current_app.config)
    now = utcnow()
    delivery = session.scalars(select(PostbackDelivery).where(PostbackDelivery.id == delivery_id)
                               .with_for_update().execution_options(populate_existing=True)).one_or_none()
    if delivery is None:
        session.rollback()
        raise DeliveryNotFound(f"delivery {delivery_id} does not exist")
    if delivery.claimed_until is not None and delivery.claimed_until > now:
        session.rollback()
        raise DeliveryInProgress("this delivery is being sent right now; try again in a minute")
    postback = session.get(Postback, delivery.postback_id)
    problem = _unsendable(postback, manual=manual)
    if problem is not None:
        if delivery.status == "pending":
            kill(delivery, f"Not sent: {problem}")
        session.commit()
        raise PostbackUnavailable(f"Not sent: {problem}")
    was_dead = delivery.status == "dead"
    claim = now + lease_for(settings, 1, 1)
    # The claim is guarded like a worker's: on SQLite nothing locks the row read above, so a worker may
    # have claimed it (or sent it and recorded the result) since. A dead delivery is revived with a due
    # time, the end of this claim: if this process dies before recording the attempt, a worker picks it up
    # once the lease has passed, instead of it staying pending with no next attempt for ever.
    revive = {"status": "pending", "next_attempt_at": claim} if was_dead else {}
    claimed = session.execute(
        update(PostbackDelivery)
        .where(PostbackDelivery.id == delivery_id, PostbackDelivery.status == delivery.status, _claimable(now))
        .values(claimed_until=claim, **revive)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        session.rollback()
        raise DeliveryInProgress("this delivery is being sent right now; try again in a minute")
    job = _job(delivery, postback, claim, manual=manual, was_dead=was_dead)
    session.commit()
    ((_, number),) = record_outcomes(session, [(job, job.send(settings))])
    return session.scalars(select(PostbackAttempt).where(PostbackAttempt.delivery_id == delivery_id,
                                                         PostbackAttempt.attempt_number == number)).one()


class OutboxWorker:
    """Claims batches and sends them on a small thread pool (sends wait on the network, not the CPU);
    the database work stays on the calling thread, in its app context, and records whatever results
    have come in together, in one transaction."""

    def __init__(self, *, batch: int = DEFAULT_BATCH, concurrency: int = DEFAULT_CONCURRENCY,
                 settings: SendSettings | None = None) -> None:
        self.batch = batch
        self.concurrency = concurrency
        self.settings = settings or SendSettings.from_config(current_app.config)
        self.lease = lease_for(self.settings, batch, concurrency)
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="postback-send") if concurrency > 1 else None
        self._late: dict[Future, Job] = {}  # sends still running when their batch stopped waiting

    def run_batch(self, limit: int | None = None) -> tuple[int, int]:
        """Claim and deliver one batch; returns (rows claimed, attempts made).

        Every send is bounded by the total timeout (portal.delivery.http), and the lease covers a batch's
        rounds of them with a margin, so a batch normally ends well inside its lease. Should a send outlast
        that anyway, the batch stops waiting shortly before the lease ends rather than stall the worker:
        sends not started yet are cancelled, running ones are recorded by a later batch once they end
        (recording is guarded by the claim's lease mark), and all of them are left to the lease: once it has
        passed, any worker claims them again.
        """
        session = db.session
        self._record_late(session)
        size = self.batch if limit is None else max(0, min(self.batch, limit))
        if size == 0:
            return 0, 0
        stop_at = time.monotonic() + self.lease.total_seconds() - STOP_WAITING_BEFORE_LEASE_END_SECONDS
        claimed, jobs = claim_jobs(session, size, self.lease)
        made = 0
        if self._pool is None:
            for job in jobs:
                if time.monotonic() >= stop_at:
                    break
                record_outcomes(session, [(job, job.send(self.settings))])
                made += 1
            return claimed, made
        pending = {self._pool.submit(job.send, self.settings): job for job in jobs}
        while pending:
            remaining = stop_at - time.monotonic()
            if remaining <= 0:
                break
            # Whatever finished within the interval is recorded together: one transaction for many
            # fast answers, while one slow destination delays the others' records by RECORD_INTERVAL at most.
            done, _ = wait(pending, timeout=min(RECORD_INTERVAL_SECONDS, remaining), return_when=ALL_COMPLETED)
            if done:
                record_outcomes(session, [(pending.pop(future), future.result()) for future in done])
                made += len(done)
        for future, job in pending.items():
            if not future.cancel():
                self._late[future] = job
                made += 1
        if pending:
            log.warning("%d postback sends outlasted their batch; left to the lease", len(pending))
        return claimed, made

    def _record_late(self, session: Session) -> None:
        done = [future for future in self._late if future.done()]
        if done:
            record_outcomes(session, [(self._late.pop(future), future.result()) for future in done])

    def run_once(self, limit: int | None = None) -> int:
        """Drain what is due now (up to `limit` attempts); returns the attempts made."""
        attempts = 0
        while limit is None or attempts < limit:
            claimed, made = self.run_batch(None if limit is None else limit - attempts)
            attempts += made
            if claimed == 0:
                break
        return attempts

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            if self._late:
                try:
                    self._record_late(db.session)
                except Exception:  # only a late result: the lease sends it again
                    log.exception("could not record postback sends that outlasted their batch")
                    db.session.rollback()


def run_once(limit: int | None = None) -> int:
    """Deliver everything due now (up to `limit` attempts) in the current app context; returns attempts."""
    worker = OutboxWorker()
    try:
        return worker.run_once(limit)
    finally:
        worker.close()
