"""What the APIs promise and the docs page shows: document paths, key headers, error texts, the public URL.

The doors (the APIs) and the docs both read these, so they live below both.
"""

from __future__ import annotations

from flask import current_app, request

AFFILIATE_OPENAPI_PATH = "/v1/affiliates/openapi.json"
NETWORK_OPENAPI_PATH = "/api/v2/openapi.json"
NETWORKS_OPENAPI_PATH = "/v1/networks/openapi.json"  # the Everflow-style Network API

# Headers a partner key may arrive in (Everflow's first); a bearer token is accepted too.
KEY_HEADERS = ("X-Eflow-API-Key", "X-Api-Key")
# How an Everflow-style network key (/v1/networks) begins: the Affiliate API answers one with Out of realm.
NETWORK_KEY_PREFIX = "efn_live_"

# The Affiliate API's refusals (spec/affiliate-api.md, "Authentication and errors"), word for word.
NO_KEY = "No Authentication Method Found"
INVALID_KEY = "Invalid API key"
KEY_IN_QUERY = "API keys are not accepted in the query string; send the key in the X-Eflow-API-Key header"
IP_NOT_ALLOWED = "IP address not allowed"
OUT_OF_REALM = "Out of realm"
RATE_LIMITED = "Rate limit exceeded"
# Both APIs, to an address whose credentials failed too often (portal.http.auth_throttle).
AUTH_THROTTLED = "Too many failed authentication attempts from this address; retry after Retry-After seconds"
ACCOUNT_NOT_ACTIVE = "Partner account is not active; contact your account manager"


def public_base_url() -> str:
    """Where partners reach this network: PUBLIC_BASE_URL when set (behind a proxy the request's host may
    be an internal name), else the scheme and host of the current request."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    return (configured or request.host_url).rstrip("/")
