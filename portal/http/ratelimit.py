"""Request budgets both APIs spend: several moving windows spent together or not at all, and their headers.

Flask-Limiter owns the store: `limiter.init_app` builds it (process memory, or Redis when PORTAL_REDIS_URL
is set) with its moving-window strategy from the RATELIMIT_* settings, and `limiter.limiter` is that
strategy. A request spends one unit of every budget that applies to it (the Affiliate API: the network's
and the partner's share; the Network API: the key pair's) straight through the store rather than through
route decorators, which resolve, filter and sort every registered limit on each request (in
bench/api_auth.py that was a third of the API's front door).

Spending is atomic: either every budget has room and each spends one unit, or nothing is spent, so a
partner over its share never drains the network's budget and a refusal by the network's budget costs
the partner nothing. A guard (the caller's address's recent authentication failures, see
portal.http.auth_throttle) is read in the same step: while it is full nothing is spent and the answer
is a 429. With Redis that is one round trip: SPEND_SCRIPT, which keeps each window in the list layout
of limits' own moving window (newest first, one timestamp per request, trimmed to the limit), so that
limits' public readings (`get_window_stats`, used for requests that spend nothing) agree with it.
The in-process store does the same under its lock (memory_storage.InProcessStorage.spend_all); any
other store takes the strategy's public calls, which are not atomic.

The Redis path relies on what REDIS_STORAGE_INTERNALS names of limits' RedisStorage beyond its public
API and on that list layout, so pyproject.toml pins `limits` to one minor release and
tests/api/affiliate/test_budget_redis.py fails loudly when an upgrade changes them.

Each API spends through spend_or_refuse: one unit of its budgets, the binding reading kept in `g` for its
headers, and a refusal raised as that API's own error type (429: RATE_LIMITED, or AUTH_THROTTLED with
Retry-After while the caller's address is blocked). The guard's window and what to do when it blocks
are passed in, as portal.http.auth_throttle builds its window on this module's Budget.

Headers (every response of a budgeted API): `X-RateLimit-Limit` and `X-RateLimit-Remaining` of the
budget that binds (the one with the fewest requests left; on a tie, the one that frees later),
`X-RateLimit-Reset`, whole seconds until that budget's oldest counted request leaves its window (0 when
it has counted none; the delta-seconds of the IETF RateLimit draft), and `Retry-After` (whole seconds,
at least 1) on a 429.
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from flask import Flask, Response, g
from limits import RateLimitItem
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from portal.extensions import limiter
from portal.http import memory_storage  # noqa: F401  (registers portal-memory:// before the limiter binds)
from portal.http.contract import AUTH_THROTTLED, RATE_LIMITED
from portal.http.memory_storage import InProcessStorage

# What the Redis path uses of limits' RedisStorage beyond its public API (limits 5.8).
REDIS_STORAGE_INTERNALS = ("prefixed_key", "get_connection", "base_exceptions")

# KEYS: the guard's window (when ARGV[2] is 1), then each budget's. ARGV: now, guarded, the guard's limit and
# expiry, then each budget's limit and expiry. A window is full when its limit-th newest entry is still in it.
SPEND_SCRIPT = """
local now = tonumber(ARGV[1])
local first = 1
local function full(key, limit, expiry)
    local entry = redis.call('lindex', key, limit - 1)
    if entry and tonumber(entry) >= now - expiry then return entry end
    return false
end
local function window(key, limit, expiry)
    local low, high, found = 0, limit - 1, nil
    while low <= high do
        local mid = math.floor((low + high) / 2)
        local value = tonumber(redis.call('lindex', key, mid))
        if value and value >= now - expiry then found = mid; low = mid + 1 else high = mid - 1 end
    end
    if found then return {redis.call('lindex', key, found), found + 1} end
    return {ARGV[1], 0}
end
local guard = false
if ARGV[2] == '1' then
    guard = full(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4]))
    first = 2
end
local spent = not guard
for i = first, #KEYS do
    local n = 5 + (i - first) * 2
    if spent and full(KEYS[i], tonumber(ARGV[n]), tonumber(ARGV[n + 1])) then spent = false end
end
if spent then
    for i = first, #KEYS do
        local n = 5 + (i - first) * 2
        redis.call('lpush', KEYS[i], ARGV[1])
        redis.call('ltrim', KEYS[i], 0, tonumber(ARGV[n]) - 1)
        redis.call('expire', KEYS[i], tonumber(ARGV[n + 1]))
    end
end
local out = {spent and 1 or 0, guard or ''}
for i = first, #KEYS do
    local n = 5 + (i - first) * 2
    local w = window(KEYS[i], tonumber(ARGV[n]), tonumber(ARGV[n + 1]))
    table.insert(out, w[1])
    table.insert(out, w[2])
end
return out
"""
_SCRIPTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # RedisStorage → its registered SPEND_SCRIPT


def init_app(app: Flask) -> None:
    """Bind Flask-Limiter: its store and its moving-window strategy, from the RATELIMIT_* settings.

    Flask-Limiter also hooks every request to look for default or decorated limits. The portal has none
    (every budget is spent explicitly, below), and that look cost about a quarter of Flask's own time per
    request (on the tracker's clicks too), so its request hooks are taken out again."""
    limiter.init_app(app)
    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        hooks[None] = [hook for hook in hooks.get(None, []) if not _limiters(hook)]


def _limiters(hook) -> bool:
    """A request hook Flask-Limiter registered: a method of the limiter, or a partial bound to it."""
    return getattr(hook, "__self__", None) is limiter or (isinstance(hook, partial) and hook.args[:1] == (limiter,))


@dataclass(frozen=True, slots=True)
class Budget:
    """One moving window: how many requests in how long, and whose (the parts of its storage key)."""

    item: RateLimitItem
    args: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.item.key_for(*self.args)


@dataclass(frozen=True, slots=True)
class Reading:
    """A budget as it stands: its limit, what is left, and whole seconds until it frees a request."""

    limit: int
    remaining: int
    reset: int


@dataclass(frozen=True, slots=True)
class Outcome:
    spent: bool
    readings: tuple[Reading, ...]
    throttled_for: int | None = None  # the guard refused: whole seconds (≥ 1) until it frees

    @property
    def binding(self) -> Reading:
        return binding(self.readings)


def binding(readings: tuple[Reading, ...] | list[Reading]) -> Reading:
    """The budget that binds: the fewest requests left; on a tie, the one that frees later."""
    return min(readings, key=lambda reading: (reading.remaining, -reading.reset))


def reading(item: RateLimitItem, oldest: float, count: int, now: float) -> Reading:
    reset = max(0, math.ceil(oldest + item.get_expiry() - now)) if count else 0
    return Reading(item.amount, max(0, item.amount - count), reset)


def _seconds(until: float, now: float) -> int:
    return max(1, math.ceil(until - now))


def spend(strategy: RateLimiter, budgets: list[Budget], guard: Budget | None = None) -> Outcome:
    """One unit of every budget, or none: when one is full, or while the guard's window is full."""
    storage = strategy.storage
    if single_round_trip(strategy):
        return _redis_spend(storage, budgets, guard)
    if isinstance(storage, InProcessStorage):
        spent, blocker, windows = storage.spend_all(
            (guard.key, guard.item.amount, guard.item.get_expiry()) if guard else None,
            [(budget.key, budget.item.amount, budget.item.get_expiry()) for budget in budgets])
        now = time.time()
        readings = tuple(reading(budget.item, oldest, count, now) for budget, (oldest, count) in zip(budgets, windows))
        throttled = _seconds(blocker + guard.item.get_expiry(), now) if blocker is not None else None
        return Outcome(spent, readings, throttled)
    return _public_spend(strategy, budgets, guard)


def spend_or_refuse(budgets: list[Budget], guard: Budget, blocked: Callable[[int], object],
                    refuse: Callable[[int, str, dict[str, str] | None], Exception], reading_name: str) -> None:
    """One unit of every budget through Flask-Limiter's strategy, its binding reading kept in g.<reading_name>
    for write_headers; else raise refuse(429, …): AUTH_THROTTLED with Retry-After while the guard's window
    is full (after blocked(seconds)), or RATE_LIMITED when a budget is full (nothing is spent then)."""
    outcome = spend(limiter.limiter, budgets, guard=guard)
    setattr(g, reading_name, outcome.binding)
    if outcome.throttled_for is not None:
        blocked(outcome.throttled_for)
        raise refuse(429, AUTH_THROTTLED, {"Retry-After": str(outcome.throttled_for)})
    if not outcome.spent:
        raise refuse(429, RATE_LIMITED, None)


def read(strategy: RateLimiter, budgets: list[Budget]) -> tuple[Reading, ...]:
    """The budgets as they stand, spending nothing (limits' public reading; one call per budget)."""
    now = time.time()
    found = []
    for budget in budgets:
        stats = strategy.get_window_stats(budget.item, *budget.args)
        count = budget.item.amount - stats.remaining
        found.append(reading(budget.item, stats.reset_time - budget.item.get_expiry(), count, now))
    return tuple(found)


def single_round_trip(strategy: RateLimiter) -> bool:
    """Whether spending takes the one-round-trip path: a moving window in Redis with the internals it drives."""
    storage = strategy.storage
    return (isinstance(strategy, MovingWindowRateLimiter) and type(storage) is RedisStorage
            and all(hasattr(storage, name) for name in REDIS_STORAGE_INTERNALS))


def _redis_spend(storage: RedisStorage, budgets: list[Budget], guard: Budget | None) -> Outcome:
    # A Script runs by EVALSHA, loading itself again only when Redis has forgotten it (a restart, SCRIPT
    # FLUSH): one round trip per request.
    script = _SCRIPTS.get(storage)
    if script is None:
        script = _SCRIPTS[storage] = storage.get_connection().register_script(SPEND_SCRIPT)
    windows = ([guard] if guard else []) + budgets
    now = time.time()
    arguments: list[float | int | str] = [repr(now), 1 if guard else 0,
                                          guard.item.amount if guard else 0, guard.item.get_expiry() if guard else 0]
    for budget in budgets:
        arguments += [budget.item.amount, budget.item.get_expiry()]
    try:
        result = script(keys=[storage.prefixed_key(window.key) for window in windows], args=arguments)
    except storage.base_exceptions as exc:
        raise StorageError(exc) from exc
    spent, blocker, rest = int(result[0]), _text(result[1]), result[2:]
    readings = tuple(reading(budget.item, float(_text(rest[2 * n])), int(rest[2 * n + 1]), now)
                     for n, budget in enumerate(budgets))
    throttled = _seconds(float(blocker) + guard.item.get_expiry(), now) if blocker else None
    return Outcome(bool(spent), readings, throttled)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _public_spend(strategy: RateLimiter, budgets: list[Budget], guard: Budget | None) -> Outcome:
    """Any other store: the strategy's public calls, check first and then spend (not atomic)."""
    if guard is not None and not strategy.test(guard.item, *guard.args):
        stats = strategy.get_window_stats(guard.item, *guard.args)
        return Outcome(False, read(strategy, budgets), _seconds(stats.reset_time, time.time()))
    spent = all(strategy.test(budget.item, *budget.args) for budget in budgets)
    if spent:
        spent = all([strategy.hit(budget.item, *budget.args) for budget in budgets])
    return Outcome(spent, read(strategy, budgets))


def write_headers(response: Response, found: Reading) -> Response:
    """The binding budget's headers; Retry-After on a 429 unless the refusal set its own."""
    response.headers["X-RateLimit-Limit"] = str(found.limit)
    response.headers["X-RateLimit-Remaining"] = str(found.remaining)
    response.headers["X-RateLimit-Reset"] = str(found.reset)
    if response.status_code == 429 and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(max(1, found.reset))
    return response
