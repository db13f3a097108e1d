"""The Affiliate API's request budgets: the network's, shared by every partner, and each partner's share.

The network's budget is Everflow's promise for the affiliate surface: API_RATE_PER_SECOND sustained with
bursts of API_RATE_BURST, one moving window shared by every partner, key and endpoint (rotating a key
resets nothing). Each partner may spend at most API_PARTNER_SHARE of it over the same window (default
half), keyed by partner, so one partner's burst leaves room for the others. A request spends one unit
of both or of neither (portal.http.ratelimit: atomic, and with Redis one round trip that also reads the
caller address's failed authentications). Requests that are not admitted (no key, a bad or revoked
key, an address outside the allowlist) spend nothing, so a flood of them cannot lock anyone out; the
invalid keys among them count against the caller's address instead (portal.http.auth_throttle).

Headers on every /v1 response: the budget that binds (portal.http.ratelimit.write_headers); a request
that spent nothing reads the network's budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from flask import Flask, Response, current_app, g
from limits import parse
from limits.errors import StorageError

from portal.api.affiliate.errors import ApiError
from portal.extensions import limiter
from portal.http import auth_throttle, ratelimit
from portal.http.ratelimit import Budget

BUDGET_KEY = "network"
BUDGET_SCOPE = "affiliate-api"
_EXTENSION = "portal.api_budget"
_G_READING = "affiliate_api_budget_reading"


@dataclass(frozen=True, slots=True)
class _Budgets:
    network: Budget
    share: Budget | None  # the partner's share, keyed by partner below; None when the share is 1
    prefix: tuple[str, ...]

    def of(self, partner_id: int) -> list[Budget]:
        if self.share is None:
            return [self.network]
        return [self.network, Budget(self.share.item, (*self.prefix, f"partner-{partner_id}", BUDGET_SCOPE))]


def init_app(app: Flask) -> None:
    """Parse the limits once per app."""
    prefix = (app.config["RATELIMIT_KEY_PREFIX"],) if app.config["RATELIMIT_KEY_PREFIX"] else ()
    network = Budget(parse(app.config["API_RATE_LIMIT"]), (*prefix, BUDGET_KEY, BUDGET_SCOPE))
    share = (Budget(parse(app.config["API_PARTNER_RATE_LIMIT"]), ())
             if app.config["API_PARTNER_SHARE"] < 1 else None)
    app.extensions[_EXTENSION] = _Budgets(network, share, prefix)


def _budgets() -> _Budgets:
    return current_app.extensions[_EXTENSION]


def budgets_of(partner_id: int) -> list[Budget]:
    """What one of the partner's requests spends: the network's budget, then the partner's share (if any)."""
    return _budgets().of(partner_id)


def spend(partner_id: int, ip: str | None) -> None:
    """One unit of the network's budget and of the partner's share; 429 when either is full (nothing is
    spent then), or when the caller's address is blocked for failed authentication."""
    ratelimit.spend_or_refuse(budgets_of(partner_id), auth_throttle.guard(ip),
                              partial(auth_throttle.note_blocked, ip), ApiError, _G_READING)


def finish_headers(response: Response) -> Response:
    """The binding budget's headers on every API response; Retry-After (whole seconds, ≥ 1) on a 429."""
    try:
        # Popped, not read: tests run many requests inside one application context, so one `g`. Requests
        # that spent nothing (refused before the budget) read the network's window here.
        found = g.pop(_G_READING, None) or ratelimit.read(limiter.limiter, [_budgets().network])[0]
    except StorageError:
        return response  # the store is down: the answer (often its 503) goes out without the count
    return ratelimit.write_headers(response, found)
