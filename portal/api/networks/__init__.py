"""The Everflow-style Network API (`/v1/networks`): the network's key in X-Eflow-API-Key, the network's one
budget, JSON errors, and the network-wide reports, conversions, clicks, affiliates, offers, pixels and links."""

from __future__ import annotations

from flask import Flask, request

from portal.api.networks import (budget, directory, offer_access, openapi, pixels,  # noqa: F401  (registers the views)
                                 reporting)
from portal.api.networks.blueprint import bp
from portal.extensions import csrf

__all__ = ["bp", "init_app", "is_networks_path"]
PREFIX = "/v1/networks"


def is_networks_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
    budget.init_app(app)

    @app.after_request
    def networks_budget_headers(response):
        return budget.finish_headers(response) if is_networks_path(request.path) else response
