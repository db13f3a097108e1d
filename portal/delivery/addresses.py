"""Which IP addresses a postback may be sent to: public unicast only, whatever form the address takes.

`ipaddress.is_global` alone is not enough: on the Pythons we run it calls multicast, 192.88.99/24,
3fff::/20, 5f00::/16 and 6to4 / NAT64 wrappings of private IPv4 addresses "global" (see
reference/security-reliability-notes.md §3.3). So the ranges Svix refuses are listed here explicitly,
IPv6 forms that carry an IPv4 address are unwrapped and the IPv4 address is judged too, and `is_global`
is only an extra net on top.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4_BLOCKED = tuple(ipaddress.IPv4Network(net) for net in (
    "0.0.0.0/8",         # "this network", includes the unspecified address
    "10.0.0.0/8",        # private
    "100.64.0.0/10",     # carrier-grade NAT (is_private is False for it)
    "127.0.0.0/8",       # loopback
    "169.254.0.0/16",    # link-local, incl. cloud metadata 169.254.169.254
    "172.16.0.0/12",     # private
    "192.0.0.0/24",      # IETF protocol assignments
    "192.0.2.0/24",      # documentation (TEST-NET-1)
    "192.88.99.0/24",    # 6to4 relay anycast
    "192.168.0.0/16",    # private
    "198.18.0.0/15",     # benchmarking
    "198.51.100.0/24",   # documentation (TEST-NET-2)
    "203.0.113.0/24",    # documentation (TEST-NET-3)
    "224.0.0.0/4",       # multicast
    "240.0.0.0/4",       # reserved, incl. broadcast 255.255.255.255
))

_V6_BLOCKED = tuple(ipaddress.IPv6Network(net) for net in (
    "::/128",            # unspecified
    "::1/128",           # loopback
    "::/96",             # IPv4-compatible (deprecated); the IPv4 address is judged too
    "64:ff9b:1::/48",    # local-use NAT64 (RFC 8215)
    "100::/64",          # discard-only
    "2001:db8::/32",     # documentation
    "3fff::/20",         # documentation (RFC 9637)
    "5f00::/16",         # segment routing SIDs
    "fc00::/7",          # unique local, incl. AWS metadata fd00:ec2::254
    "fe80::/10",         # link-local
    "fec0::/10",         # site-local (deprecated)
    "ff00::/8",          # multicast
))

# Forms whose last 32 bits are an IPv4 address: well-known NAT64 and the deprecated IPv4-compatible form.
_IPV4_IN_LOW_BITS = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: mapped, 6to4, NAT64, Teredo, IPv4-compatible."""
    found = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if any(address in network for network in _IPV4_IN_LOW_BITS):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def refusal_reason(address: IPAddress) -> str | None:
    """Why a postback may not go to this address, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return f"{address} has an IPv6 zone, which only link-local addresses use"
        for ipv4 in embedded_ipv4(address):
            inner = refusal_reason(ipv4)
            if inner is not None:
                return f"{address} wraps {ipv4}: {inner}"
        if address.ipv4_mapped is not None:
            return None  # judged as the IPv4 address it is
        blocked = _V6_BLOCKED
    else:
        blocked = _V4_BLOCKED
    for network in blocked:
        if address in network:
            return f"{address} is in the reserved range {network}"
    if address.is_multicast or address.is_loopback or address.is_link_local or address.is_unspecified:
        return f"{address} is not a unicast public address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def parse_literal(host: str) -> IPAddress | None:
    """The address if `host` is a literal IP in canonical form (v4 dotted quad or v6), else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
