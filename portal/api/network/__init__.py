"""The Network API (`/api/v2`): the network's own back end manages partnerships and groups (PartnerStack's
vendor API conventions: HTTP Basic with a test or production key pair, `{data, message, status}`, cursor paging)."""

from __future__ import annotations

from flask import Flask

from portal.api.network import budget, views  # noqa: F401  (views registers the views on the blueprint)
from portal.api.network.blueprint import bp
from portal.extensions import csrf

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    """Register the blueprint, exempt it from CSRF (no cookies here: every call carries its credentials), and
    set up its budget."""
    csrf.exempt(bp)
    app.register_blueprint(bp)
    budget.init_app(app)
