"""Who is calling the Network API: a live key pair, by HTTP Basic (public key : secret key).

A partner's Affiliate API key sent here is refused as out of realm (403), never looked up; every other
failure is a 401 with a WWW-Authenticate challenge, one answer for all of them (a wrong secret, an empty
one, no colon, not base64, text that does not decode), and counts against the caller's address: past
the limit the address gets 429 before anything is looked up (portal.http.auth_throttle). The pair's
mode is what the call may touch: a test pair works on test partnerships only, a production pair on the
others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import g, request

from portal.api.network.errors import INVALID_CREDENTIALS, NO_CREDENTIALS, OUT_OF_REALM, NetworkApiError
from portal.http import auth_throttle
from portal.http.contract import AUTH_THROTTLED, KEY_HEADERS
from portal.services import network_keys
from portal.services.key_material import KEY_PREFIX

log = logging.getLogger(__name__)

CHALLENGE = {"WWW-Authenticate": 'Basic realm="Network API", charset="UTF-8"'}
MAX_PUBLIC_KEY = 64  # the column's width
_G_NAME = "network_api_caller"


@dataclass(frozen=True, slots=True)
class NetworkCaller:
    key_id: int
    public_key: str
    mode: str  # test | production

    @property
    def test(self) -> bool:
        return self.mode == "test"

    # As portal.services.audit.record reads an actor: the pair acts, named by its public key.
    session_kind = "network_api"

    @property
    def id(self) -> int:
        return self.key_id

    @property
    def email(self) -> str:
        return self.public_key


def caller() -> NetworkCaller:
    """The authenticated pair (the blueprint's guard has refused everyone else)."""
    return g.get(_G_NAME)


def authenticate(ip: str | None) -> NetworkCaller:
    if any(request.headers.get(name, "").strip() for name in KEY_HEADERS):
        raise NetworkApiError(403, OUT_OF_REALM)
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip().startswith(KEY_PREFIX):
        raise NetworkApiError(403, OUT_OF_REALM)
    if not header.strip():
        raise NetworkApiError(401, NO_CREDENTIALS, CHALLENGE)
    wait = auth_throttle.blocked(ip)  # an address with too many failures: refused before any lookup
    if wait is not None:
        raise _throttled(wait)
    if scheme.lower() == "bearer":
        raise _refused(ip)
    try:
        auth = request.authorization
    except ValueError:  # Werkzeug lets a base64 error through for credentials that are not ASCII
        auth = None
    username = auth.username if auth is not None and auth.type == "basic" else None
    public_key = username if username and network_keys.looks_like_public_key(username) else None
    if public_key is not None:  # a public key under attack, from an address that has failed: refused now
        wait = auth_throttle.blocked(ip, public_key)
        if wait is not None:
            raise _throttled(wait)
    if auth is None or auth.type != "basic" or not auth.username or not auth.password:
        raise _refused(ip, public_key)  # an empty secret is a wrong secret, answered and counted alike
    if auth.username.startswith(KEY_PREFIX) or auth.password.startswith(KEY_PREFIX):
        raise NetworkApiError(403, OUT_OF_REALM)  # a partner's Affiliate API key, sent the Basic way
    if "\x00" in auth.username or len(auth.username) > MAX_PUBLIC_KEY:
        raise _refused(ip)
    key = network_keys.verify_pair(auth.username, auth.password)
    if key is None:
        shown = public_key[:40] if public_key else "(not a public key)"
        log.info("authn_fail: Network API credentials refused for %s", shown)
        raise _refused(ip, public_key)
    found = NetworkCaller(key.id, key.public_key, key.mode)
    network_keys.stamp_last_used(key)
    setattr(g, _G_NAME, found)
    return found


def _throttled(wait: int) -> NetworkApiError:
    return NetworkApiError(429, AUTH_THROTTLED, {"Retry-After": str(wait)})


def _refused(ip: str | None, public_key: str | None = None) -> NetworkApiError:
    """The one answer to credentials that fail, counted against the address and the public key they name
    (429 once the address is past the limit)."""
    wait = auth_throttle.record_failure(ip, public_key)
    return _throttled(wait) if wait is not None else NetworkApiError(401, INVALID_CREDENTIALS, CHALLENGE)
