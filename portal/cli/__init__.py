"""Operator commands under `flask --app wsgi …`, one module per area, registered here."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every command; each area's commands live in their own module of this package."""
    from portal.cli.demo.command import demo_data
    from portal.cli.eflow_keys import eflow_keys
    from portal.cli.intake import intake
    from portal.cli.invoices import invoices
    from portal.cli.keys import keys
    from portal.cli.network_keys import network_keys
    from portal.cli.partners import partners
    from portal.cli.postbacks import postbacks
    from portal.cli.reports import reports
    from portal.cli.scheduler import scheduler, scheduler_old_name
    from portal.cli.staff import create_staff_user_command
    from portal.cli.two_factor import two_factor_group

    for command in (create_staff_user_command, demo_data, scheduler, scheduler_old_name, keys, network_keys, eflow_keys,
                    reports, postbacks, intake, two_factor_group, partners, invoices):
        app.cli.add_command(command)
