"""`flask postbacks work`: the postback delivery worker (the Procfile's `worker` process; run as many as needed)."""

from __future__ import annotations

import logging
import os
import signal
import threading
import traceback

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from portal.delivery.worker import DEFAULT_BATCH, DEFAULT_CONCURRENCY, OutboxWorker
from portal.extensions import db

log = logging.getLogger(__name__)


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
    stop = threading.Event()

    def request_stop(signum, frame) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    worker = OutboxWorker(batch=batch, concurrency=concurrency)
    click.echo(f"postbacks worker started (pid {os.getpid()}, batch {batch}, concurrency {concurrency})",
               err=True)
    attempts = 0
    try:
        while not stop.is_set():
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
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(f"postbacks worker stopped after {attempts} attempts", err=True)
