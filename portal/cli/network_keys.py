"""`flask --app wsgi network-keys issue|revoke`: Network API key pairs for operators (audited as the system)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.models import NETWORK_KEY_MODES
from portal.queries import keys as key_queries
from portal.services.keys import KeyActionError
from portal.services.network_keys import SECRET_PREFIXES, issue_pair, revoke_pair


@click.group("network-keys")
def network_keys() -> None:
    """Issue and revoke Network API key pairs (the credentials of the network's own back end)."""


@network_keys.command("issue")
@click.option("--mode", required=True, type=click.Choice(NETWORK_KEY_MODES),
              help="test (test partnerships only) or production.")
@click.option("--label", required=True, help="The system that uses the pair, e.g. 'Billing back end'.")
@with_appcontext
def issue(mode: str, label: str) -> None:
    """Issue a pair; the secret alone is printed on the last line (for scripts: `| tail -n 1`)."""
    try:
        issued = issue_pair(mode, label, actor=None)
    except KeyActionError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Issued {mode} key pair {issued.key.id} ({issued.key.label}).")
    click.echo(f"Public key (HTTP Basic username): {issued.key.public_key}")
    click.echo("Secret key (the password), shown only now; treat it like a password:")
    click.echo(issued.secret)


@network_keys.command("revoke")
@click.argument("public_key")
@with_appcontext
def revoke(public_key: str) -> None:
    """Revoke a pair now, by its public key: the next request with it gets 401."""
    public_key = public_key.strip()
    if public_key.startswith(tuple(SECRET_PREFIXES.values())):
        # Never echo a secret back; it now sits in the shell history, so treat the pair as exposed.
        raise click.ClickException("That is a secret key, not a public key: pass the pair's public key (npk_…). "
                                   "The secret is now in your shell history; revoke its pair and issue a new one")
    found = key_queries.network_key_named(public_key)
    if found is None:
        raise click.ClickException(f"No key pair has public key {public_key!r}")
    if revoke_pair(found, actor=None):
        click.echo(f"Revoked {found.mode} key pair {found.id} ({found.label}) {found.public_key}")
    else:
        click.echo(f"Key pair {found.id} ({found.label}) was already revoked on "
                   f"{found.revoked_at:%Y-%m-%d %H:%M} UTC")
