"""`flask --app wsgi reports rebuild-rollups`: recompute report rollups from the raw clicks and conversions."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from portal.extensions import db
from portal.models import Partner
from portal.services import rollups


@click.group("reports")
def reports() -> None:
    """Report maintenance."""


@reports.command("rebuild-rollups")
@click.option("--partner", "partner_keys", multiple=True, help="A partner_key; repeat for several (default: all).")
@with_appcontext
def rebuild_rollups(partner_keys: tuple[str, ...]) -> None:
    """Recompute the hourly rollups (after a bulk import or a repair); reports stay right meanwhile."""
    stmt = select(Partner.id, Partner.partner_key).order_by(Partner.id)
    if partner_keys:
        stmt = stmt.where(Partner.partner_key.in_(partner_keys))
    found = db.session.execute(stmt).all()
    missing = set(partner_keys) - {key for _, key in found}
    if missing:
        raise click.ClickException(f"No partner with partner_key {', '.join(sorted(missing))}")
    for partner_id, key in found:
        rollups.rebuild(db.session, [partner_id])  # one partner per transaction: short locks
        db.session.commit()
        click.echo(f"rebuilt {key}")
