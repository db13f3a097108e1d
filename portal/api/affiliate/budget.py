"""The network-wide request budget: one limit shared by every partner, key and endpoint.

Flask-Limiter owns the budget: `limiter.init_app` builds its store (process memory, or Redis when
PORTAL_REDIS_URL is set) and its moving-window strategy from the RATELIMIT_* settings, and
`limiter.limiter` is that strategy. The blueprint spends one unit per admitted request straight
through it rather than through a route decorator, because the decorator resolves, filters and sorts
every registered limit on each request to find this single one: in bench/api_auth.py that was a third
of what the API's front door cost on top of a plain route. Requests that are not admitted (no key, a
bad or revoked key, an address outside the allowlist) spend nothing, so a flood of them cannot lock
every partner out.

Spending and reading what is left (for X-RateLimit-Remaining) happen together. With Redis that is one
round trip: the strategy's own two Lua scripts (acquire, then read the window) sent in one MULTI
pipeline, where `hit` and `get_window_stats` would cost two. Any other store takes the two calls.

That round trip drives internals of `limits` that are not its public API (REDIS_STORAGE_INTERNALS), so
pyproject.toml pins `limits` to one minor release and tests/api/affiliate/test_budget_redis.py fails
loudly when an upgrade removes or changes them, instead of quietly falling back to two round trips.
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, current_app, g
from limits import RateLimitItem, WindowStats, parse
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter
from redis.exceptions import NoScriptError

from portal.api.affiliate import memory_storage  # noqa: F401  (registers portal-memory:// before the limiter binds)
from portal.api.affiliate.errors import ApiError
from portal.extensions import limiter
from portal.http.contract import RATE_LIMITED

# A constant key and a shared scope: one bucket for the whole network, so rotating a key resets nothing.
BUDGET_KEY = "network"
BUDGET_SCOPE = "affiliate-api"
_EXTENSION = "portal.api_budget"
_G_WINDOW = "affiliate_api_budget_window"
# What the single round trip uses of limits' RedisStorage beyond its public API (limits 5.8).
REDIS_STORAGE_INTERNALS = ("lua_acquire_moving_window", "lua_moving_window", "prefixed_key", "get_connection",
                           "base_exceptions")


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
    admitted, window = spend_and_read(limiter.limiter, item, args)
    setattr(g, _G_WINDOW, window)
    if not admitted:
        raise ApiError(429, RATE_LIMITED)


def spend_and_read(strategy: RateLimiter, item: RateLimitItem, args: tuple[str, ...]) -> tuple[bool, WindowStats]:
    """Spend one unit if the window has room; the window as it stands afterwards."""
    if single_round_trip(strategy):
        return _redis_spend_and_read(strategy, strategy.storage, item, args)
    return strategy.hit(item, *args), strategy.get_window_stats(item, *args)


def single_round_trip(strategy: RateLimiter) -> bool:
    """Whether spending takes the one-round-trip path: a moving window in Redis with the internals it drives."""
    storage = strategy.storage
    return (isinstance(strategy, MovingWindowRateLimiter) and type(storage) is RedisStorage
            and all(hasattr(storage, name) for name in REDIS_STORAGE_INTERNALS))


def _redis_spend_and_read(strategy: RateLimiter, storage: RedisStorage, item: RateLimitItem,
                          args: tuple[str, ...]) -> tuple[bool, WindowStats]:
    key, limit, expiry = storage.prefixed_key(item.key_for(*args)), item.amount, item.get_expiry()
    now = time.time()
    try:
        # EVALSHA by hand: a pipeline that runs Script objects asks Redis whether they exist first, on
        # every execute, which would make this two round trips again.
        pipe = storage.get_connection().pipeline(transaction=True)
        pipe.evalsha(storage.lua_acquire_moving_window.sha, 1, key, now, limit, expiry, 1)
        pipe.evalsha(storage.lua_moving_window.sha, 1, key, now - expiry, limit)
        try:
            acquired, window = pipe.execute(raise_on_error=False)
        except NoScriptError:  # refused when queued: the transaction ran nothing
            acquired = window = NoScriptError()
        # A script Redis no longer holds (a restart, SCRIPT FLUSH) did not run; the strategy's own call
        # loads it again, so the next request is back to one round trip.
        if isinstance(acquired, NoScriptError):
            acquired = strategy.hit(item, *args)
        elif isinstance(acquired, Exception):
            raise acquired
        if isinstance(window, NoScriptError):
            return bool(acquired), strategy.get_window_stats(item, *args)
        if isinstance(window, Exception):
            raise window
    except storage.base_exceptions as exc:
        raise StorageError(exc) from exc
    start, count = (float(window[0]), int(window[1])) if window else (now, 0)
    return bool(acquired), WindowStats(start + expiry, limit - count)


def finish_headers(response: Response) -> Response:
    """X-RateLimit-Limit and -Remaining on every API response; Retry-After (whole seconds, ≥ 1) on a 429."""
    item, args = _budget()
    try:
        # Popped, not read: tests run many requests inside one application context, so one `g`. Requests
        # that spent nothing (refused before the budget) read the window here.
        window = g.pop(_G_WINDOW, None) or limiter.limiter.get_window_stats(item, *args)
    except StorageError:
        return response  # the store is down: the answer (often its 503) goes out without the count
    response.headers["X-RateLimit-Limit"] = str(item.amount)
    response.headers["X-RateLimit-Remaining"] = str(window.remaining)
    if response.status_code == 429:
        response.headers["Retry-After"] = str(max(1, math.ceil(window.reset_time - time.time())))
    return response
