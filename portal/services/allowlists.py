"""Per-key IP allowlists: parse and validate what staff type, and match a caller's address."""

from __future__ import annotations

import ipaddress
import re

MAX_ENTRIES = 100
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AllowlistError(ValueError):
    """An allowlist entry is not an address or range; the message names the entry and the rule."""


def _canonical_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address):
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_entry(entry: str) -> Network:
    text = entry.strip()
    if "%" in text:
        raise AllowlistError(f"{text}: zone ids (the part after %) are not allowed")
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as err:
        if "has host bits set" in str(err):
            suggestion = ipaddress.ip_network(text, strict=False)
            raise AllowlistError(f"{text}: the range has host bits set; did you mean {suggestion}?") from None
        raise AllowlistError(f"{text}: not an IPv4 or IPv6 address or CIDR range") from None
    if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped is not None \
            and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        network = ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
    return network


def parse_allowlist(text: str) -> list[str]:
    """Entries separated by commas, spaces or new lines → canonical CIDR strings (empty: any address)."""
    entries = [e for e in re.split(r"[\s,]+", text or "") if e]
    if len(entries) > MAX_ENTRIES:
        raise AllowlistError(f"at most {MAX_ENTRIES} entries are allowed; got {len(entries)}")
    errors, networks = [], []
    for entry in entries:
        try:
            network = str(parse_entry(entry))
        except AllowlistError as err:
            errors.append(str(err))
        else:
            if network not in networks:
                networks.append(network)
    if errors:
        raise AllowlistError("; ".join(errors))
    return networks


def allows(allowlist: list[str], address: str | None) -> bool:
    """True when the list is empty or the address (IPv4, IPv6 or IPv4-mapped) falls in one of its ranges."""
    if not allowlist:
        return True
    if not address:
        return False
    try:
        ip = _canonical_address(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(entry) for entry in allowlist)
