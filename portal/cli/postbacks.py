"""`flask postbacks work`: the postback delivery worker (the Procfile's `worker` process; run as many as needed)."""

from __future__ import annotations

import logging
import os
import signal
import time
import traceback

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from portal.delivery.worker import DEFAULT_BATCH, DEFAULT_CONCURRENCY, OutboxWorker
from portal.extensions import db

log = logging.getLogger(__name__)


class StopRequest:
    """SIGTERM and SIGINT ask the worker to stop after its current round.

    The handler only sets an attribute. It must take no lock: Python runs a handler in the main thread
    between two bytecodes, so a handler that sets a threading.Event (whose Condition holds a plain
    Lock) deadlocks the process for good when the signal lands while the main thread holds that lock,
    inside the Event's own wait(). The waits here are short sleeps that look at the attribute instead.
    """

    POLL_SECONDS = 0.05

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, object] = {}

    def install(self) -> "StopRequest":
        self._previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGTERM, signal.SIGINT)}
        return self

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum, frame) -> None:
        self.requested = True

    def wait(self, seconds: float) -> None:
        """Sleep up to `seconds`, less once a stop has been asked for."""
        deadline = time.monotonic() + seconds
        while not self.requested:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, self.POLL_SECONDS))


@click.group("postbacks")
def postbacks() -> None:
    """Postback delivery from the outbox."""


@postbacks.command("work")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--batch", default=DEFAULT_BATCH, show_default=True, type=click.IntRange(1, 1000),
              help="Deliveries claimed per round.")
@click.option("--concurrency", default=DEFAULT_CONCURRENCY, show_default=True, type=click.IntRange(1, 64),
              help="Requests in flight at once in this process.")
@click.option("--idle-sleep", default=1.0, show_default=True, type=click.FloatRange(0.01, 60),
              help="Seconds to wait when nothing is due.")
@with_appcontext
def work(once: bool, batch: int, concurrency: int, idle_sleep: float) -> None:
    """Claim due deliveries and send them, until SIGTERM or SIGINT (the current round is finished first).

    A worker killed without warning loses nothing: its claimed deliveries are sent again by any worker
    once their lease passes, with the same event id.
    """
    stop = StopRequest().install()
    worker = OutboxWorker(batch=batch, concurrency=concurrency)
    click.echo(f"postbacks worker started (pid {os.getpid()}, batch {batch}, concurrency {concurrency})",
               err=True)
    attempts = 0
    try:
        while not stop.requested:
            try:
                claimed, made = worker.run_batch()
            except SQLAlchemyError:
                # The database went away or a transaction failed: claims lapse and are taken again later.
                log.exception("postback delivery round failed; retrying after a pause")
                db.session.rollback()
                stop.wait(max(idle_sleep, 1.0))
                continue
            except Exception as err:
                # A bug must not stop deliveries. Only the type and the place are logged: messages and
                # tracebacks' values can carry postback URLs and their tokens.
                frame = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
                where = f" at {frame.filename}:{frame.lineno}" if frame else ""
                log.error("postback delivery round failed with %s%s; retrying after a pause",
                          type(err).__name__, where)
                try:
                    db.session.rollback()
                except Exception as rollback_err:
                    log.error("rolling back after the failed round failed too: %s", type(rollback_err).__name__)
                stop.wait(max(idle_sleep, 1.0))
                continue
            attempts += made
            if claimed == 0:
                if once:
                    break
                stop.wait(idle_sleep)
    finally:
        worker.close()
        db.session.remove()
        stop.restore()
    click.echo(f"postbacks worker stopped after {attempts} attempts", err=True)
