"""`flask --app wsgi keys issue|revoke`: partner API keys for operators (audited as the system)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from portal.extensions import db
from portal.models import Partner
from portal.services.key_material import is_well_formed
from portal.services.keys import KeyActionError, find_by_secret, issue_key, revoke_key


@click.group("keys")
def keys() -> None:
    """Issue and revoke partner API keys."""


@keys.command("issue")
@click.option("--partner", "partner_key", required=True, help="The partner's partner_key (e.g. johnsmith).")
@click.option("--label", required=True, help="The integration the key is for, e.g. 'Looker reporting'.")
@click.option("--acknowledge-risk", is_flag=True,
              help="Issue even though the partner is in onboarding or has a fraud flag.")
@with_appcontext
def issue(partner_key: str, label: str, acknowledge_risk: bool) -> None:
    """Issue a key; the key alone is printed on the last line (for scripts: `| tail -n 1`)."""
    partner = db.session.scalar(select(Partner).where(Partner.partner_key == partner_key))
    if partner is None:
        raise click.ClickException(f"No partner has partner_key {partner_key!r}")
    try:
        issued = issue_key(partner, label, actor=None, acknowledged_risk=acknowledge_risk)
    except KeyActionError as err:
        hint = " (--acknowledge-risk)" if "acknowledge" in str(err).lower() else ""
        raise click.ClickException(f"{err}{hint}") from None
    click.echo(f"Issued key {issued.key.id} ({issued.key.label}) for partner {partner.partner_key} "
               f"(affiliate id {partner.id}). Treat it like a password:", err=False)
    click.echo(issued.secret)


@keys.command("revoke")
@click.argument("key")
@with_appcontext
def revoke(key: str) -> None:
    """Revoke a key now: the next request with it gets 401. Pass - to read the key from stdin."""
    secret = (sys.stdin.readline() if key == "-" else key).strip()
    if not is_well_formed(secret):
        raise click.ClickException("That is not a partner API key (wrong prefix, length or checksum; check for typos)")
    found = find_by_secret(secret)
    if found is None:
        raise click.ClickException("No key matches; it was never issued by this installation")
    if revoke_key(found, actor=None):
        click.echo(f"Revoked key {found.id} ({found.label}) of partner id {found.partner_id}")
    else:
        click.echo(f"Key {found.id} ({found.label}) was already revoked on {found.revoked_at:%Y-%m-%d %H:%M} UTC")
