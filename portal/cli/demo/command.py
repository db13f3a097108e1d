"""`flask demo-data`: fill a development database with deterministic demo data, at any volume."""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError, ProgrammingError

from portal.cli.demo import database
from portal.cli.demo.build import generate
from portal.cli.demo.people import (ADMIN_EMAIL, AM_EMAIL, ANALYST_EMAIL, DEMO_INTAKE_TOKEN, DEMO_PASSWORD,
                                    PARTNER_EMAIL, demo_intake_token_works, ensure_demo_intake_token)
from portal.cli.demo.writer import note
from portal.extensions import db


@click.command("demo-data")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed and past end date, same data (a run ending today stops its last day at the current time).")
@click.option("--end-date", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Last day of demo traffic, YYYY-MM-DD (default: today, UTC).")
@click.option("--big-partner-conversions", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also create 'Big Partner' with this many conversions and five times as many clicks "
                   "over a year (for benchmarks).")
@click.option("--if-empty", is_flag=True, help="Do nothing (but print the sign-in details) if there is data.")
@click.option("--reset", is_flag=True, help="Delete all data first (keeps settings and gstest), then generate.")
@click.option("--clicks", type=click.IntRange(min=0), default=200_000, hidden=True)
@click.option("--conversions", type=click.IntRange(min=0), default=15_000, hidden=True)
@with_appcontext
def demo_data(seed: int, end_date: datetime | None, big_partner_conversions: int, if_empty: bool, reset: bool,
              clicks: int, conversions: int):
    """Fill the database with demo staff, partners, offers, clicks and conversions."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("demo-data does not run with the production configuration (PORTAL_ENV).")
    if if_empty and reset:
        raise click.UsageError("--if-empty and --reset contradict each other; pass one of them.")
    if conversions > clicks:
        raise click.UsageError("--conversions cannot exceed --clicks: every conversion needs its own click.")
    now = datetime.now(UTC)
    last_day = end_date.date() if end_date else now.date()
    if last_day > now.date():
        raise click.UsageError(f"--end-date {last_day} is in the future; demo traffic must have happened.")

    try:
        found = {name: n for name, n in database.contents().items() if n}
    except (OperationalError, ProgrammingError) as error:  # no tables: the database was never migrated
        db.session.rollback()
        raise click.ClickException(
            "The database is not set up; run `flask --app wsgi db upgrade` first.") from error
    if found and if_empty:
        if database.has_demo_data():
            note("The database already has demo data; leaving it as it is.")
            if ensure_demo_intake_token():
                note("  (it had no conversion intake token yet: the demo token is set now)")
            _print_sign_in()
        else:
            note(f"The database is not empty ({_describe(found)}); not adding demo data.")
        return
    if found and not reset:
        raise click.ClickException(
            f"The database is not empty ({_describe(found)}). Pass --reset to delete everything "
            "(except the settings row and the gstest partner) and generate the demo data again.")
    if found:
        note("Deleting the existing data (--reset) …")
        database.wipe()

    started = time.perf_counter()
    generate(random.Random(seed), last_day, now, clicks=clicks, conversions=conversions,
             big_partner_conversions=big_partner_conversions)
    note(f"Demo data ready in {time.perf_counter() - started:.1f} s (seed {seed}, ending {last_day}).")
    _print_sign_in()


def _describe(found: dict[str, int]) -> str:
    return ", ".join(f"{name}: {n:,}" if name not in ("clicks", "conversions") else name
                     for name, n in found.items())


def _print_sign_in() -> None:
    base = f"http://127.0.0.1:{os.environ.get('PORT') or 5000}"
    click.echo(f"Sign in at {base}/login (partner) and {base}/staff/login (staff):")
    rows = (("staff admin", ADMIN_EMAIL), ("staff AM", AM_EMAIL), ("partner admin", PARTNER_EMAIL),
            ("partner reports-only", ANALYST_EMAIL))
    for role, email in rows:
        click.echo(f"  {role:<21} {email:<20} {DEMO_PASSWORD}")
    if demo_intake_token_works():
        click.echo(f"Conversion intake token: {DEMO_INTAKE_TOKEN}  "
                   f"(e.g. {base}/postback?token={DEMO_INTAKE_TOKEN}&transaction_id=…&amount=49.99)")
    else:
        click.echo("Conversion intake token: set by an operator (`flask --app wsgi intake set-token` sets a new one)")
