"""The Network API's request budget: each key pair's own moving window, shared by every endpoint.

NETWORK_API_RATE_PER_SECOND sustained with bursts of NETWORK_API_RATE_BURST per pair (default 30 and 60,
Everflow's figures for its network API), keyed by the pair, so one back-end system cannot starve another
and revoking a pair and issuing a new one starts a new budget. Spent after authentication, in the same
atomic step (with Redis one round trip) that reads the caller address's failed authentications
(portal.http.ratelimit, portal.http.auth_throttle). Responses to an authenticated pair carry the budget's
headers; refusals before authentication (401, 403) carry none, as they spend nothing of any budget.
"""

from __future__ import annotations

from functools import partial

from flask import Flask, Response, current_app, g
from limits import parse

from portal.api.network.auth import NetworkCaller
from portal.api.network.errors import NetworkApiError
from portal.http import auth_throttle, ratelimit
from portal.http.ratelimit import Budget

BUDGET_SCOPE = "network-api"
_EXTENSION = "portal.network_api_budget"
_G_READING = "network_api_budget_reading"


def init_app(app: Flask) -> None:
    prefix = (app.config["RATELIMIT_KEY_PREFIX"],) if app.config["RATELIMIT_KEY_PREFIX"] else ()
    app.extensions[_EXTENSION] = (parse(app.config["NETWORK_API_RATE_LIMIT"]), prefix)


def budget_of(caller: NetworkCaller) -> Budget:
    item, prefix = current_app.extensions[_EXTENSION]
    return Budget(item, (*prefix, f"pair-{caller.key_id}", BUDGET_SCOPE))


def spend(caller: NetworkCaller, ip: str | None) -> None:
    """One unit of the pair's budget; 429 when it is full, or while the address is blocked for failures."""
    ratelimit.spend_or_refuse([budget_of(caller)], auth_throttle.guard(ip), partial(auth_throttle.note_blocked, ip),
                              NetworkApiError, _G_READING)


def finish_headers(response: Response) -> Response:
    """The pair's budget headers, when this request spent (or tried to spend) it."""
    found = g.pop(_G_READING, None)
    return ratelimit.write_headers(response, found) if found is not None else response
