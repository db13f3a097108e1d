"""`flask scheduler`: the background process that runs the network's scheduled jobs.

(The postback delivery worker is `flask postbacks work`; "worker" names only that one.)
"""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from portal.extensions import db
from portal.services.holds import release_due_holds

# (name, job); each job commits its own work and returns how many rows it handled.
JOBS = (("release on-hold conversions", release_due_holds),)


def run_jobs_once() -> dict[str, int]:
    results = {}
    for name, job in JOBS:
        try:
            results[name] = job()
        finally:
            db.session.remove()
    return results


_ONCE = click.option("--once", is_flag=True, help="Run every job once and exit.")
_INTERVAL = click.option("--interval", default=30, show_default=True, type=click.IntRange(1, 3600),
                         help="Seconds between rounds.")


@click.command("scheduler")
@_ONCE
@_INTERVAL
@with_appcontext
def scheduler(once: bool, interval: int) -> None:
    """Run the scheduled jobs in a loop (the Procfile's scheduler process)."""
    _run(once, interval)


@click.command("worker", hidden=True, deprecated=True)
@_ONCE
@_INTERVAL
@with_appcontext
def scheduler_old_name(once: bool, interval: int) -> None:
    """The scheduler under its old name, for Procfiles written before `flask scheduler`."""
    _run(once, interval)


def _run(once: bool, interval: int) -> None:
    while True:
        for name, count in run_jobs_once().items():
            if count:
                click.echo(f"{name}: {count}")
        if once:
            return
        time.sleep(interval)
