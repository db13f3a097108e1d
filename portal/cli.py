"""Operator commands under `flask --app wsgi …`."""

from __future__ import annotations

import click
from flask import Flask
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


def init_app(app: Flask) -> None:
    from portal.demo.command import demo_data
    from portal.intake_cli import intake
    from portal.keys_cli import keys
    from portal.network_keys_cli import network_keys
    from portal.postbacks_cli import postbacks
    from portal.reports_cli import reports
    from portal.worker import worker

    app.cli.add_command(create_staff_user_command)
    app.cli.add_command(demo_data)
    app.cli.add_command(worker)
    app.cli.add_command(keys)
    app.cli.add_command(network_keys)
    app.cli.add_command(reports)
    app.cli.add_command(postbacks)
    app.cli.add_command(intake)
