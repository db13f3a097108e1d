"""`flask --app wsgi intake set-token`: conversion intake tokens for operators (audited as the system)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.extensions import db
from portal.models import Offer
from portal.services.intake import IntakeError, set_intake_token


@click.group("intake")
def intake() -> None:
    """Conversion intake (`/postback`) tokens."""


@intake.command("set-token")
@click.option("--offer", "offer_id", type=click.IntRange(min=1),
              help="Set this offer's token (default: the network-wide token, valid for every offer).")
@click.option("--token", help="Use this token (at least 16 characters) instead of generating a random one.")
@with_appcontext
def set_token(offer_id: int | None, token: str | None) -> None:
    """Replace an intake token; the old one stops working at once. The token alone is printed on the
    last line (for scripts: `| tail -n 1`); only its SHA-256 is stored, so note it now."""
    offer = None
    if offer_id is not None:
        offer = db.session.get(Offer, offer_id)
        if offer is None:
            raise click.ClickException(f"No offer has id {offer_id}")
    try:
        secret = set_intake_token(token, offer=offer)
    except IntakeError as err:
        raise click.ClickException(str(err)) from None
    where = f"offer {offer.id} ({offer.name})" if offer is not None else "the network (every offer)"
    click.echo(f"Intake token set for {where}. Send it as the `token` parameter of /postback:")
    click.echo(secret)
