"""Operator commands under `flask --app wsgi …`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import PERMISSIONS, StaffUser
from portal.services.passwords import hash_password


@click.command("create-staff-user")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--permission", "permissions", multiple=True, type=click.Choice(PERMISSIONS),
              help="Repeat for each permission; --all-permissions grants every one.")
@click.option("--all-permissions", is_flag=True)
@click.password_option()
@with_appcontext
def create_staff_user(email: str, name: str, permissions: tuple[str, ...], all_permissions: bool, password: str):
    """Create a staff user (an account manager or an admin)."""
    email = email.strip().lower()
    if db.session.scalar(select(StaffUser.id).where(func.lower(StaffUser.email) == email)) is not None:
        raise click.ClickException(f"A staff user with email {email} already exists")
    granted = list(PERMISSIONS) if all_permissions else list(permissions)
    db.session.add(StaffUser(email=email, name=name, password_hash=hash_password(password), permissions=granted))
    db.session.commit()
    click.echo(f"Created staff user {email} with permissions: {', '.join(granted) or 'none'}")


def init_app(app: Flask) -> None:
    from portal.demo.command import demo_data
    from portal.worker import worker

    app.cli.add_command(create_staff_user)
    app.cli.add_command(demo_data)
    app.cli.add_command(worker)
