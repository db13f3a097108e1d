"""Who calls the Everflow-style Network API: a network key in `X-Eflow-API-Key`, checked once per request.

Missing → 401 `No Authentication Method Found`; unknown, malformed or revoked → 401 `Invalid API key` and
one failure of the caller's address (portal.http.auth_throttle, shared with the other APIs; past the limit
429 with Retry-After); a partner's Affiliate API key, or the PartnerStack-style API's Basic credentials →
403 `Out of realm` (Everflow's answer to a key of another portal). Keys in the query string are refused
without being looked at. last_used_at/ip are stamped at most once a minute.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import g, request

from portal.api.networks.errors import NetworksApiError
from portal.http import auth_throttle
from portal.http.auth_throttle import client_ip
from portal.http.contract import AUTH_THROTTLED, INVALID_KEY, KEY_IN_QUERY, NO_KEY, OUT_OF_REALM
from portal.services.everflow_keys import KEY_PREFIX, stamp_last_used, verify_key
from portal.services.key_material import KEY_PREFIX as PARTNER_KEY_PREFIX

log = logging.getLogger(__name__)
HEADER = "X-Eflow-API-Key"  # header names are case-insensitive (werkzeug's Headers)
_QUERY_KEY_NAMES = frozenset({"api_key", "apikey", "api-key", "key", "token", "access_token", "x-eflow-api-key",
                              "eflow_api_key", "authorization"})
_G_NAME = "networks_api_caller"


@dataclass(frozen=True, slots=True)
class NetworkCaller:
    """The network itself, through one of its keys: not a session user, and no partner."""

    key_id: int
    ip: str | None

    # Shaped like the users portal.services.audit.record takes, so changes are audited with the key.
    @property
    def session_kind(self) -> str:
        return "network_key"

    @property
    def id(self) -> int:
        return self.key_id

    @property
    def email(self) -> str:
        return ""


def caller() -> NetworkCaller:
    """The admitted caller (the blueprint's guard has refused everyone else)."""
    return g.get(_G_NAME)


def authenticate() -> NetworkCaller:
    """The caller, or NetworksApiError with Everflow's status and message."""
    if any(name.lower() in _QUERY_KEY_NAMES or KEY_PREFIX in value or PARTNER_KEY_PREFIX in value
           for name, value in request.args.items(multi=True)):
        raise NetworksApiError(401, KEY_IN_QUERY)
    presented = request.headers.get(HEADER, "").strip()
    if not presented:
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            presented = credentials.strip()
        elif scheme.lower() == "basic" and credentials.strip():
            raise NetworksApiError(403, OUT_OF_REALM)  # the PartnerStack-style API's credentials
        elif request.headers.get("X-Api-Key", "").strip():
            presented = request.headers["X-Api-Key"].strip()
    if not presented:
        raise NetworksApiError(401, NO_KEY)
    if presented.startswith(PARTNER_KEY_PREFIX):
        raise NetworksApiError(403, OUT_OF_REALM)  # a partner's key: that is the Affiliate API's
    ip = client_ip()
    wait = auth_throttle.blocked(ip)
    if wait is not None:
        raise NetworksApiError(429, AUTH_THROTTLED, {"Retry-After": str(wait)})
    found = verify_key(presented)
    if found is None or found.revoked:
        if found is not None:
            log.info("authn_token_reuse: revoked network key id=%s presented", found.key_id)
        wait = auth_throttle.record_failure(ip)
        if wait is not None:
            raise NetworksApiError(429, AUTH_THROTTLED, {"Retry-After": str(wait)})
        raise NetworksApiError(401, INVALID_KEY)
    stamp_last_used(found, ip)
    admitted = NetworkCaller(found.key_id, ip)
    setattr(g, _G_NAME, admitted)
    return admitted


def forget(_exc: BaseException | None = None) -> None:
    g.pop(_G_NAME, None)
