"""Who is calling the Affiliate API: the key from a header, checked once per request and kept on `g`."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

from flask import g, request

from portal.affiliate import AffiliateScope
from portal.api.affiliate.errors import ApiError
from portal.domain.accounts import PartnerRecord
from portal.domain.actors import Actor
from portal.http.contract import (ACCOUNT_NOT_ACTIVE, INVALID_KEY, IP_NOT_ALLOWED, KEY_HEADERS, KEY_IN_QUERY, NO_KEY,
                                  OUT_OF_REALM)
from portal.models.accounts import PARTNER_STATUSES_WITHOUT_ACCESS
from portal.services.allowlists import allows
from portal.services.keys import find_credential

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
        return AffiliateScope(self.partner, actor=Actor("api", self.key_id, "", self.ip))


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


def client_ip() -> str | None:
    """request.remote_addr (already unwrapped by ProxyFix for the trusted hops), IPv4-mapped → IPv4."""
    raw = request.remote_addr
    if not raw:
        return None
    if ":" not in raw:
        return raw  # not IPv6, so nothing to unwrap; parsing would give back the same text (or fail and keep it)
    try:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


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
    found = find_credential(secret)  # a malformed key is refused here without a query
    if found is None:
        return AuthResult(error=ApiError(401, INVALID_KEY))
    if found.revoked:
        log.info("authn_token_reuse: revoked API key id=%s presented", found.key_id)
        return AuthResult(error=ApiError(401, INVALID_KEY))
    if found.partner.status in PARTNER_STATUSES_WITHOUT_ACCESS:
        # Same rule as the portal's sign-in: a suspended or deactivated partner is out, keys included.
        return AuthResult(error=ApiError(403, ACCOUNT_NOT_ACTIVE))
    ip, partner_id = client_ip(), found.partner.id
    if not allows(found.ip_allowlist, ip):
        log.info("authz_fail: API key id=%s used from %s, outside its allowlist", found.key_id, ip)
        return AuthResult(error=ApiError(403, IP_NOT_ALLOWED), key_id=found.key_id, partner_id=partner_id, ip=ip)
    return AuthResult(principal=ApiPrincipal(found.key_id, found.partner, ip), key_id=found.key_id,
                      partner_id=partner_id, ip=ip)
