"""Who is calling the Affiliate API: the key from a header, checked once per request and kept on `g`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import g, request

from portal.affiliate import AffiliateScope, credential, scope_for
from portal.api.affiliate.errors import ApiError
from portal.domain.accounts import PARTNER_STATUSES_WITHOUT_ACCESS, PartnerRecord
from portal.domain.actors import Actor
from portal.http import auth_throttle
from portal.http.auth_throttle import client_ip
from portal.http.contract import (ACCOUNT_NOT_ACTIVE, AUTH_THROTTLED, INVALID_KEY, IP_NOT_ALLOWED, KEY_HEADERS,
                                  KEY_IN_QUERY, NETWORK_KEY_PREFIX, NO_KEY, OUT_OF_REALM)

log = logging.getLogger(__name__)

# Query parameters that carry (or try to carry) a key in the URL, where proxies and browsers log it.
QUERY_KEY_NAMES = frozenset({
    "api_key", "apikey", "api-key", "key", "token", "access_token", "auth_token", "x-eflow-api-key",
    "x-api-key", "eflow_api_key", "authorization",
})
_G_NAME = "affiliate_api_auth"


@dataclass(frozen=True, slots=True)
class ApiPrincipal:
    """The caller: one partner, through one of its keys. Not a session user."""

    key_id: int
    partner: PartnerRecord
    ip: str | None = None

    @property
    def scope(self) -> AffiliateScope:
        return scope_for(self.partner, Actor("api", self.key_id, "", self.ip))


@dataclass(frozen=True, slots=True)
class AuthResult:
    principal: ApiPrincipal | None = None
    error: ApiError | None = None
    # The presented key when it is genuine and live, even if its allowlist refused the caller.
    key_id: int | None = None
    partner_id: int | None = None
    ip: str | None = None

    @property
    def admitted(self) -> bool:
        return self.principal is not None


def authenticate() -> AuthResult:
    """The result for this request, computed once and kept for the usage count after the view."""
    result = g.get(_G_NAME)
    if result is None:
        result = _authenticate()
        setattr(g, _G_NAME, result)
    return result


def current() -> AuthResult | None:
    return g.get(_G_NAME)


def forget(_exc: BaseException | None = None) -> None:
    g.pop(_G_NAME, None)


def presented_key() -> str | None:
    for name in KEY_HEADERS:
        value = request.headers.get(name, "").strip()
        if value:
            return value
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def network_credential_presented() -> bool:
    """HTTP Basic is the Network API's method (a public key and a secret), never this surface's."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "basic" and bool(credentials.strip())


def _key_in_query() -> bool:
    for name, value in request.args.items(multi=True):
        if name.lower() in QUERY_KEY_NAMES or "afk_" in value:
            return True
    return False


def _authenticate() -> AuthResult:
    if request.query_string and _key_in_query():
        return AuthResult(error=ApiError(401, KEY_IN_QUERY))
    secret = presented_key()
    if secret is None:
        if network_credential_presented():
            return AuthResult(error=ApiError(403, OUT_OF_REALM))
        return AuthResult(error=ApiError(401, NO_KEY))
    if secret.startswith(NETWORK_KEY_PREFIX):
        return AuthResult(error=ApiError(403, OUT_OF_REALM))  # the network's key: /v1/networks is its realm
    ip = client_ip()
    wait = auth_throttle.blocked(ip)  # an address with too many failures: refused before any lookup
    if wait is not None:
        return AuthResult(error=_throttled(wait), ip=ip)
    found = credential(secret)  # a malformed key is refused here without a query
    if found is None:
        return _failed(ip)
    if found.revoked:
        log.info("authn_token_reuse: revoked API key id=%s presented", found.key_id)
        return _failed(ip)
    if found.partner.status in PARTNER_STATUSES_WITHOUT_ACCESS:
        # Same rule as the portal's sign-in: a suspended or deactivated partner is out, keys included.
        return AuthResult(error=ApiError(403, ACCOUNT_NOT_ACTIVE))
    partner_id = found.partner.id
    if not found.allows(ip):
        log.info("authz_fail: API key id=%s used from %s, outside its allowlist", found.key_id, ip)
        return AuthResult(error=ApiError(403, IP_NOT_ALLOWED), key_id=found.key_id, partner_id=partner_id, ip=ip)
    return AuthResult(principal=ApiPrincipal(found.key_id, found.partner, ip), key_id=found.key_id,
                      partner_id=partner_id, ip=ip)


def _throttled(wait: int) -> ApiError:
    return ApiError(429, AUTH_THROTTLED, {"Retry-After": str(wait)})


def _failed(ip: str | None) -> AuthResult:
    """An invalid key counts against the caller's address; past the limit the answer is 429, not 401."""
    wait = auth_throttle.record_failure(ip)
    if wait is not None:
        log.info("authn_fail: API key refused for %s, which is now throttled", ip)
        return AuthResult(error=_throttled(wait), ip=ip)
    return AuthResult(error=ApiError(401, INVALID_KEY), ip=ip)
