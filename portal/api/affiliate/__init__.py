"""The Affiliate API (`/v1`): key auth, IP allowlists, the network's budget and each partner's share, usage
tracking, JSON errors."""

from __future__ import annotations

from flask import Flask, request

from portal.api.affiliate import (billing, budget, offers,  # noqa: F401  (registers the views on the blueprint)
                                  openapi, pixels, reporting, traffic, views)
from portal.api.affiliate.blueprint import bp
from portal.extensions import csrf

__all__ = ["bp", "init_app"]


def is_api_path(path: str) -> bool:
    """The Affiliate API's paths: /v1 but not /v1/networks (the Everflow-style Network API, its own budget)."""
    if path == "/v1/networks" or path.startswith("/v1/networks/"):
        return False
    return path == "/v1" or path.startswith("/v1/")


def init_app(app: Flask) -> None:
    """Register the blueprint, exempt it from CSRF (no cookies here), set up the budgets (usage tracking is
    the app's, portal.services.usage, built in create_app)."""
    csrf.exempt(bp)
    app.register_blueprint(bp)

    @app.after_request
    def api_budget_headers(response):
        return budget.finish_headers(response) if is_api_path(request.path) else response

    budget.init_app(app)
