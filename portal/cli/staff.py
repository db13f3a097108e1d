"""`flask --app wsgi create-staff-user`: the first admin, and staff users without the console."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.models import PERMISSIONS
from portal.services.staff import StaffAccountError, create_staff_user


@click.command("create-staff-user")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--permission", "permissions", multiple=True, type=click.Choice(PERMISSIONS),
              help="Repeat for each permission; --all-permissions grants every one.")
@click.option("--all-permissions", is_flag=True)
@click.password_option()
@with_appcontext
def create_staff_user_command(email: str, name: str, permissions: tuple[str, ...], all_permissions: bool,
                              password: str):
    """Create a staff user (an account manager or an admin)."""
    granted = list(PERMISSIONS) if all_permissions else list(permissions)
    try:
        user = create_staff_user(email, name, granted, password)
    except StaffAccountError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Created staff user {user.email} with permissions: {', '.join(granted) or 'none'}")
