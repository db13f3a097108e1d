"""Traffic controls, decided: does a rule block a click, given the click's variables? Pure, no I/O.

A block list (Everflow's control_type `blacklist`) blocks a click whose variable matches one of the rule's
values; an allow list (`whitelist`) blocks one whose variable matches none of them (a missing value matches
nothing). Text compares case-insensitively; an `ip` value is an address or a CIDR network, and `exact_match`
on it means "is that address, or inside that network".
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

# Everflow's names: the variable a rule reads, how it compares, and whether the values block or allow.
VARIABLES = ("sub1", "sub2", "sub3", "sub4", "sub5", "source_id", "country", "ip", "referer", "user_agent")
VARIABLE_LABELS = {"sub1": "Sub 1", "sub2": "Sub 2", "sub3": "Sub 3", "sub4": "Sub 4", "sub5": "Sub 5",
                   "source_id": "Source ID", "country": "Country", "ip": "IP address or CIDR range",
                   "referer": "Referrer", "user_agent": "User agent"}
COMPARISONS = ("exact_match", "contains", "begins_with", "ends_with")
COMPARISON_LABELS = {"exact_match": "Exact match", "contains": "Contains", "begins_with": "Begins with",
                     "ends_with": "Ends with"}
CONTROL_TYPES = ("blacklist", "whitelist")
CONTROL_TYPE_LABELS = {"blacklist": "Block list", "whitelist": "Allow list"}
CONTROL_STATUSES = ("active", "inactive")
MAX_VALUES = 1000
MAX_VALUE_LENGTH = 500

_UNSTORABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def ip_network(value: str) -> Network | None:
    """An address or CIDR range as a network (an address is a /32 or /128); None if it is neither."""
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


@dataclass(frozen=True)
class Rule:
    """One traffic control as the tracker applies it. `offer_ids` / `partner_ids` None: all of them."""

    id: int
    control_type: str
    variable: str
    comparison: str
    values: tuple[str, ...]
    offer_ids: frozenset[int] | None = None
    partner_ids: frozenset[int] | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    _texts: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _networks: tuple[Network, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_texts", tuple(v.casefold() for v in self.values if v))
        networks = ()
        if self.variable == "ip" and self.comparison == "exact_match":
            networks = tuple(n for n in (ip_network(v) for v in self.values) if n is not None)
        object.__setattr__(self, "_networks", networks)

    def applies(self, partner_id: int, offer_id: int, now: datetime) -> bool:
        """Is the rule in force for this partner's click on this offer at `now`?"""
        if self.partner_ids is not None and partner_id not in self.partner_ids:
            return False
        if self.offer_ids is not None and offer_id not in self.offer_ids:
            return False
        if self.valid_from is not None and now < self.valid_from:
            return False
        return self.valid_to is None or now < self.valid_to

    def matches(self, value: str | None) -> bool:
        """Is `value` on the rule's list?"""
        if not value:
            return False
        if self._networks:
            try:
                address = ipaddress.ip_address(value.strip())
            except ValueError:
                address = None
            if address is not None and any(address.version == n.version and address in n for n in self._networks):
                return True
        text = value.casefold()
        if self.comparison == "exact_match":
            return text in self._texts
        if self.comparison == "contains":
            return any(v in text for v in self._texts)
        if self.comparison == "begins_with":
            return text.startswith(self._texts) if self._texts else False
        if self.comparison == "ends_with":
            return text.endswith(self._texts) if self._texts else False
        return False

    def blocks(self, value: str | None) -> bool:
        """Does the rule block a click whose variable is `value` (whoever and whenever it applies to)?"""
        on_list = self.matches(value)
        return on_list if self.control_type == "blacklist" else not on_list


def blocking_rule(rules: Iterable[Rule], partner_id: int, offer_id: int, variables: Mapping[str, str | None],
                  now: datetime) -> Rule | None:
    """The first rule (in the order given) that blocks this click, or None: the click may go on."""
    for rule in rules:
        if rule.applies(partner_id, offer_id, now) and rule.blocks(variables.get(rule.variable)):
            return rule
    return None


def clean_values(lines: Iterable[str], variable: str,
                 comparison: str = "exact_match") -> tuple[list[str], list[str]]:
    """A rule's values as staff typed them (one a line): trimmed, blanks and repeats dropped. Returns the
    values and the problems found (too long; an `ip` value that is neither an address nor a CIDR range, or,
    for the text comparisons, a CIDR range: those compare text, and an allow list of '10.0.0.0/8' read
    as text would block every click). An IPv4-mapped IPv6 address is kept as the IPv4 address clicks record."""
    values: list[str] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line in lines:
        value = line.strip()
        if not value or value.casefold() in seen:
            continue
        if len(value) > MAX_VALUE_LENGTH:
            problems.append(f"A value is longer than {MAX_VALUE_LENGTH} characters.")
            continue
        if _UNSTORABLE.search(value):
            problems.append("A value holds control characters or unpaired surrogates.")
            continue
        if variable == "ip":
            network = ip_network(value)
            if comparison == "exact_match" and network is None:
                problems.append(f"{value!r} is not an IP address or CIDR range.")
                continue
            if comparison != "exact_match" and ("/" in value or not _partial_ip(value)):
                problems.append(f"{value!r}: a CIDR range works with Exact match only; the other comparisons "
                                "take part of an address (10.1.).")
                continue
            if network is not None and network.num_addresses == 1 and getattr(network.network_address,
                                                                              "ipv4_mapped", None):
                value = str(network.network_address.ipv4_mapped)
        seen.add(value.casefold())
        values.append(value)
    if len(values) > MAX_VALUES:
        problems.append(f"A rule holds at most {MAX_VALUES} values.")
    return values, problems


def _partial_ip(value: str) -> bool:
    """Part of an address (for begins_with, say '10.1.'): hex digits, dots and colons only."""
    return all(c in "0123456789abcdefABCDEF.:" for c in value)


@dataclass(frozen=True)
class TrafficControlView:
    """A rule as a partner reads it: the offers named are only those the partner may see."""

    id: int
    name: str
    status: str
    control_type: str
    variable: str
    comparison_method: str
    values: tuple[str, ...]
    is_apply_all_offers: bool
    offers: tuple[tuple[int, str], ...]  # (offer id, name) when not for all offers
    date_valid_from: datetime | None
    date_valid_to: datetime | None
    created_at: datetime
    updated_at: datetime
