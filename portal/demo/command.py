"""`flask demo-data`: placeholder replaced below."""

import click


@click.command("demo-data")
def demo_data():
    """Fill an empty database with demo data."""
    raise click.ClickException("not implemented yet")
