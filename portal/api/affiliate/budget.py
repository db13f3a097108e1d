"""The network-wide request budget: one Flask-Limiter limit shared by every partner, key and endpoint."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from limits import parse
from limits.errors import StorageError

from portal.api.affiliate import memory_storage  # noqa: F401  (registers portal-memory:// before the limiter binds)
from portal.api.affiliate.auth import authenticate
from portal.extensions import limiter

# A constant key and a shared scope: one bucket for the whole network, so rotating a key resets nothing.
BUDGET_KEY = "network"
BUDGET_SCOPE = "affiliate-api"


def _limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _not_admitted() -> bool:
    # Only authenticated, allowlisted requests spend the budget: a flood of bad or missing keys
    # must not lock every partner out. The answer is cached on `g` for the blueprint's own check.
    return not authenticate().admitted


def apply_budget(bp: Blueprint) -> None:
    limiter.shared_limit(_limit, scope=BUDGET_SCOPE, key_func=lambda: BUDGET_KEY, exempt_when=_not_admitted)(bp)


def finish_headers(response: Response) -> Response:
    """Budget headers on the API responses the limiter did not count, and a Retry-After of at least 1.

    Runs after Flask-Limiter's own after_request hook (see portal.api.affiliate.init_app)."""
    if "X-RateLimit-Limit" not in response.headers:
        item = parse(_limit())
        prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
        args = [prefix, BUDGET_KEY, BUDGET_SCOPE] if prefix else [BUDGET_KEY, BUDGET_SCOPE]
        try:
            stats = limiter.limiter.get_window_stats(item, *args)
        except StorageError:
            return response  # the store is down: the answer (often its 503) goes out without the count
        response.headers["X-RateLimit-Limit"] = str(item.amount)
        response.headers["X-RateLimit-Remaining"] = str(stats.remaining)
    if response.status_code == 429:
        # Flask-Limiter rounds the wait down, which can say 0 a moment before the window frees a slot.
        retry_after = response.headers.get("Retry-After", "")
        if not retry_after.isdigit() or int(retry_after) < 1:
            response.headers["Retry-After"] = "1"
    return response
