"""`flask --app wsgi two-factor reset`: turn two-factor off for a user who lost their phone and their codes."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.models import PartnerUser, StaffUser
from portal.services import two_factor
from portal.services.signin import user_by_email


@click.group("two-factor")
def two_factor_group() -> None:
    """Two-factor sign-in of partner users and staff."""


@two_factor_group.command("reset")
@click.argument("email")
@click.option("--staff", is_flag=True, help="The address is a staff member's (default: a partner user's).")
@with_appcontext
def reset(email: str, staff: bool) -> None:
    """Turn two-factor off for this user (audited as the system): they sign in with the password alone and
    can set it up again. Check who is asking first: this removes their second factor."""
    user = user_by_email(StaffUser if staff else PartnerUser, email)
    if user is None:
        raise click.ClickException(f"No {'staff member' if staff else 'partner user'} has the email {email!r}")
    if two_factor.reset(user):
        click.echo(f"Two-factor sign-in is off for {user.email}; they can turn it on again under Security.")
    else:
        click.echo(f"{user.email} had no two-factor sign-in; nothing changed.")
