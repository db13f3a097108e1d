"""`flask --app wsgi invoices run --month 2026-11`: the monthly invoice run, for the scheduler or by hand."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.services.invoices import BillingError, generate_invoices, month_period

EXIT_RUN_AGAIN = 3  # some partners' period was not over yet: run the same month again later


@click.group("invoices")
def invoices() -> None:
    """Partner invoices."""


@invoices.command("run")
@click.option("--month", required=True, help="The month to invoice, YYYY-MM (days in each partner's timezone).")
@click.option("--partner", "partner_ids", type=int, multiple=True, help="A partner id; repeat for several (default: all).")
@with_appcontext
def run(month: str, partner_ids: tuple[int, ...]) -> None:
    """Invoice approved, uninvoiced conversions; safe to run twice or alongside a staff run.

    A month is refused until its last day is over in the network's timezone. Partners whose own timezone is
    still in that last day are left out: the run then exits with status 3 (EXIT_RUN_AGAIN), so that a
    scheduler running it just after the network's midnight sees it must run again later."""
    try:
        start, end = month_period(month)
        result = generate_invoices(start, end, list(partner_ids) or None, actor=None)
    except BillingError as err:
        raise click.ClickException(str(err)) from None
    for invoice in result.invoices:
        click.echo(f"{invoice.number} partner {invoice.partner_id}: {invoice.total_cents} {invoice.currency}")
    click.echo(f"{len(result.invoices)} invoice(s) created for {start} to {end}; "
               f"{len(result.below_threshold)} partner balance(s) under the minimum payout carried over"
               + (f"; {len(result.not_over)} partner(s) whose timezone is still in the period's last day left "
                  "for a later run" if result.not_over else ""))
    if result.not_over:
        click.echo(f"Run again once the period is over for partner(s) {', '.join(map(str, result.not_over))}.",
                   err=True)
        raise click.exceptions.Exit(EXIT_RUN_AGAIN)
