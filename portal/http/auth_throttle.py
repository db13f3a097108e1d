"""Failed authentication on the APIs, throttled by client address before any key is looked up.

Every credential an API refuses as invalid (an unknown, malformed, mistyped or revoked key; a wrong
Network API secret, an empty one, or Basic credentials that do not decode) is one failure of the
caller's address; requests that present no credential, or one of the other API's (403 `Out of realm`),
are not failures. After API_AUTH_FAILURE_LIMIT failures (default 10 in 60 seconds, shared by both APIs)
the address gets 429 with Retry-After until the oldest of them leaves the window, whatever it presents:
the answer no longer tells a right key from a wrong one. IPv6 addresses count by their /64, the block
one subscriber is usually given. A caller at another address is never affected.

Where the credential names itself apart from its secret (a Network API public key), failures count
against it too, from any address. Once a public key has reached the limit, a request naming it from an
address that has itself failed in the window is refused before its secret is checked, so guessing one
pair's secret from many addresses earns one try per address; a caller whose own address has no failure
(the pair's real back end) is not affected. An Affiliate API key has no such part (every key starts
`afk_live_`), so only addresses count there.

"Before any lookup" holds in two steps. Each process remembers the addresses it has seen reach the limit
(marks, in app.extensions, at most MAX_MARKS), and refuses them without asking the store or the
database. Every admitted request also reads its address's failures in the same atomic step that spends
its budget (portal.http.ratelimit's guard, no extra round trip), so an address blocked through another
process is refused there too, and this process marks it.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field

from flask import Flask, current_app, request
from limits import RateLimitItem, parse

from portal.extensions import limiter
from portal.http.ratelimit import Budget

SCOPE = "api-auth-failures"
MAX_MARKS = 10_000
_EXTENSION = "portal.auth_throttle"


@dataclass
class _State:
    item: RateLimitItem
    prefix: tuple[str, ...]
    marks: dict[str, float] = field(default_factory=dict)  # address → until (epoch seconds)


def init_app(app: Flask) -> None:
    prefix = app.config["RATELIMIT_KEY_PREFIX"]
    app.extensions[_EXTENSION] = _State(parse(app.config["API_AUTH_FAILURE_LIMIT"]), (prefix,) if prefix else ())


def _state() -> _State:
    return current_app.extensions[_EXTENSION]


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


def address_key(ip: str | None) -> str:
    """What failures count against: the IPv4 address, or the IPv6 address's /64."""
    if not ip:
        return "unknown"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def guard(ip: str | None) -> Budget:
    """The address's failure window, for portal.http.ratelimit.spend to read beside the budgets."""
    state = _state()
    return Budget(state.item, (*state.prefix, address_key(ip), SCOPE))


def _credential_window(credential: str) -> Budget:
    state = _state()
    return Budget(state.item, (*state.prefix, f"credential-{credential}", SCOPE))


def _mark(name: str) -> int | None:
    """Whole seconds left on this process's mark for `name`, or None."""
    marks = _state().marks
    until = marks.get(name)
    if until is None:
        return None
    now = time.time()
    if until <= now:
        marks.pop(name, None)
        return None
    return max(1, int(until - now + 0.999))


def blocked(ip: str | None, credential: str | None = None) -> int | None:
    """Whole seconds the caller stays blocked, or None. The address's block asks nothing of the store; a
    credential this process knows has reached the limit asks the store whether the address has failed."""
    wait = _mark(address_key(ip))
    if wait is not None or credential is None:
        return wait
    wait = _mark(f"credential:{credential}")
    if wait is None:
        return None
    window = guard(ip)
    return wait if limiter.limiter.get_window_stats(window.item, *window.args).remaining < window.item.amount else None


def note_blocked(ip: str | None, seconds: int, name: str | None = None) -> None:
    """Remember that the address (or the named credential) is blocked for `seconds` (learnt from the store)."""
    marks, now = _state().marks, time.time()
    if len(marks) >= MAX_MARKS:
        for address in [address for address, until in marks.items() if until <= now]:
            del marks[address]
        while len(marks) >= MAX_MARKS:
            del marks[next(iter(marks))]  # the oldest mark goes first
    marks[name or address_key(ip)] = now + seconds


def record_failure(ip: str | None, credential: str | None = None) -> int | None:
    """Count one failure (of the address, and of the credential when given); whole seconds to wait when the
    address has now reached the limit, else None.

    The failure that reaches the limit is still answered as a failure (401): the next request is the first
    the limit refuses. A failure that finds the window already full (another process's) is refused too."""
    window = guard(ip)
    strategy = limiter.limiter
    if credential is not None:
        named = _credential_window(credential)
        strategy.hit(named.item, *named.args)
        stats = strategy.get_window_stats(named.item, *named.args)
        if stats.remaining == 0:
            note_blocked(ip, max(1, int(stats.reset_time - time.time() + 0.999)), f"credential:{credential}")
    counted = strategy.hit(window.item, *window.args)
    stats = strategy.get_window_stats(window.item, *window.args)
    if stats.remaining > 0:
        return None
    seconds = max(1, int(stats.reset_time - time.time() + 0.999))
    note_blocked(ip, seconds)
    return None if counted else seconds
