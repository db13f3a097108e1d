"""The network-wide request budget: one limit shared by every partner, key and endpoint.

Flask-Limiter owns the budget: `limiter.init_app` builds its store (process memory, or Redis when
PORTAL_REDIS_URL is set) and its moving-window strategy from the RATELIMIT_* settings, and
`limiter.limiter` is that strategy. The blueprint spends one unit per admitted request straight
through it rather than through a route decorator, because the decorator resolves, filters and sorts
every registered limit on each request to find this single one: in bench/api_auth.py that was a third
of what the API's front door cost on top of a plain route. Requests that are not admitted (no key, a
bad or revoked key, an address outside the allowlist) spend nothing, so a flood of them cannot lock
every partner out.
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, current_app, g
from limits import RateLimitItem, parse
from limits.errors import StorageError

from portal.api.affiliate import memory_storage  # noqa: F401  (registers portal-memory:// before the limiter binds)
from portal.api.affiliate.errors import RATE_LIMITED, ApiError
from portal.extensions import limiter

# A constant key and a shared scope: one bucket for the whole network, so rotating a key resets nothing.
BUDGET_KEY = "network"
BUDGET_SCOPE = "affiliate-api"
_EXTENSION = "portal.api_budget"
_G_WINDOW = "affiliate_api_budget_window"


def init_app(app: Flask) -> None:
    """Parse the limit once per app and bind Flask-Limiter (its store and strategy)."""
    prefix = app.config["RATELIMIT_KEY_PREFIX"]
    args = (prefix, BUDGET_KEY, BUDGET_SCOPE) if prefix else (BUDGET_KEY, BUDGET_SCOPE)
    app.extensions[_EXTENSION] = (parse(app.config["API_RATE_LIMIT"]), args)
    limiter.init_app(app)


def _budget() -> tuple[RateLimitItem, tuple[str, ...]]:
    return current_app.extensions[_EXTENSION]


def spend() -> None:
    """Spend one unit for this admitted request; 429 when the window is full (nothing is spent then)."""
    item, args = _budget()
    strategy = limiter.limiter
    if not strategy.hit(item, *args):
        setattr(g, _G_WINDOW, strategy.get_window_stats(item, *args))
        raise ApiError(429, RATE_LIMITED)


def finish_headers(response: Response) -> Response:
    """X-RateLimit-Limit and -Remaining on every API response; Retry-After (whole seconds, ≥ 1) on a 429."""
    item, args = _budget()
    try:
        # Popped, not read: tests run many requests inside one application context, so one `g`.
        window = g.pop(_G_WINDOW, None) or limiter.limiter.get_window_stats(item, *args)
    except StorageError:
        return response  # the store is down: the answer (often its 503) goes out without the count
    response.headers["X-RateLimit-Limit"] = str(item.amount)
    response.headers["X-RateLimit-Remaining"] = str(window.remaining)
    if response.status_code == 429:
        response.headers["Retry-After"] = str(max(1, math.ceil(window.reset_time - time.time())))
    return response
