"""The Everflow-style Network API's request budget: one for the whole network, as Everflow's is.

Everflow gives a network 30 requests per second sustained with short bursts, one bucket shared by every
key and endpoint (developers.everflow.io, "Rate Limiting"). Here that is EFLOW_NETWORK_API_RATE_PER_SECOND
sustained with bursts of EFLOW_NETWORK_API_RATE_BURST (default 30 and 60: 60 requests in any 2 seconds), a
moving window shared by every network key, spent after authentication in the same atomic step that reads
the caller address's failed authentications (portal.http.ratelimit, portal.http.auth_throttle). A full
window is 429 with Retry-After; every response to an admitted key carries X-RateLimit-Limit, -Remaining
and -Reset. Refusals before authentication spend nothing.
"""

from __future__ import annotations

from functools import partial

from flask import Flask, Response, current_app, g
from limits import parse

from portal.api.networks.errors import NetworksApiError
from portal.http import auth_throttle, ratelimit
from portal.http.ratelimit import Budget

BUDGET_SCOPE = "eflow-network-api"
_EXTENSION = "portal.eflow_network_api_budget"
_G_READING = "eflow_network_api_budget_reading"


def init_app(app: Flask) -> None:
    prefix = (app.config["RATELIMIT_KEY_PREFIX"],) if app.config["RATELIMIT_KEY_PREFIX"] else ()
    app.extensions[_EXTENSION] = Budget(parse(app.config["EFLOW_NETWORK_API_RATE_LIMIT"]),
                                        (*prefix, "network", BUDGET_SCOPE))


def spend(ip: str | None) -> None:
    """One unit of the network's budget; 429 when it is full, or while the address is blocked for failures."""
    ratelimit.spend_or_refuse([current_app.extensions[_EXTENSION]], auth_throttle.guard(ip),
                              partial(auth_throttle.note_blocked, ip), NetworksApiError, _G_READING)


def finish_headers(response: Response) -> Response:
    found = g.pop(_G_READING, None)
    return ratelimit.write_headers(response, found) if found is not None else response
