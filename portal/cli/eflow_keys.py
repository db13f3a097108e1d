"""`flask --app wsgi eflow-keys issue|revoke`: keys of the Everflow-style Network API (audited as the system)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.services.everflow_keys import (KEY_PREFIX, KeyActionError, issue_key, key_by_prefix, looks_like_network_key,
                                           revoke_key)


@click.group("eflow-keys")
def eflow_keys() -> None:
    """Issue and revoke keys of the Everflow-style Network API (/v1/networks, header X-Eflow-API-Key)."""


@eflow_keys.command("issue")
@click.option("--label", required=True, help="The system that uses the key, e.g. 'BI warehouse'.")
@with_appcontext
def issue(label: str) -> None:
    """Issue a key; the key alone is printed on the last line (for scripts: `| tail -n 1`)."""
    try:
        issued = issue_key(label, actor=None)
    except KeyActionError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Issued network key {issued.key.id} ({issued.key.label}), prefix {issued.key.prefix}.")
    click.echo("The key (send it in X-Eflow-API-Key), shown only now; treat it like a password:")
    click.echo(issued.secret)


@eflow_keys.command("revoke")
@click.argument("prefix")
@with_appcontext
def revoke(prefix: str) -> None:
    """Revoke a key now, by the prefix the console shows: the next request with it gets 401."""
    prefix = prefix.strip().rstrip("…")
    if looks_like_network_key(prefix):
        raise click.ClickException("That is a whole key: pass only its prefix (the console shows it). The key is "
                                   "now in your shell history; revoke it and issue a new one")
    if not prefix.startswith(KEY_PREFIX):
        raise click.ClickException(f"A network key's prefix starts {KEY_PREFIX!r}; got {prefix!r}")
    found = key_by_prefix(prefix)
    if found is None:
        raise click.ClickException(f"No network key has prefix {prefix!r}")
    if revoke_key(found, actor=None):
        click.echo(f"Revoked network key {found.id} ({found.label}) {found.prefix}…")
    else:
        click.echo(f"Network key {found.id} ({found.label}) was already revoked on {found.revoked_at:%Y-%m-%d %H:%M} UTC")
