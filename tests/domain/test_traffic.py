"""Traffic rules block what they name and nothing near it: block lists on a match, allow lists on no match."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain.traffic import Rule, blocking_rule, clean_values

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=20)


def rule(comparison="exact_match", values=("abc",), variable="sub1", control_type="blacklist", **kw) -> Rule:
    return Rule(1, control_type, variable, comparison, tuple(values), **kw)


@settings(deadline=None)
@given(value=TEXT, comparison=st.sampled_from(["exact_match", "contains", "begins_with", "ends_with"]))
def test_a_click_whose_value_is_on_a_block_list_is_blocked_whatever_its_case(value, comparison):
    """Case is compared by Unicode case folding; a letter whose upper or lower case folds to another letter
    (the dotless ı, whose upper case is I) is another letter, so it is left out of the case variants."""
    assert rule(comparison, [value]).blocks(value)
    if value.upper().casefold() == value.casefold():
        assert rule(comparison, [value]).blocks(value.upper())
    if value.lower().casefold() == value.casefold():
        assert rule(comparison, [value.lower()]).blocks(value)


@settings(deadline=None)
@given(value=WORD, extra=WORD)
def test_exact_match_does_not_block_a_longer_value(value, extra):
    assert not rule("exact_match", [value]).blocks(value + extra)
    assert not rule("exact_match", [value + extra]).blocks(value)


@settings(deadline=None)
@given(value=WORD, before=WORD, after=WORD)
def test_contains_blocks_the_value_anywhere(value, before, after):
    assert rule("contains", [value]).blocks(before + value + after)


@settings(deadline=None)
@given(value=WORD, before=WORD)
def test_begins_with_blocks_the_start_and_not_the_same_text_elsewhere(value, before):
    assert rule("begins_with", [value]).blocks(value + before)
    elsewhere = "#" + before + value  # '#' is in no WORD: the value cannot be a prefix of this
    assert not rule("begins_with", [value]).blocks(elsewhere)


@settings(deadline=None)
@given(value=WORD, after=WORD)
def test_ends_with_blocks_the_end_and_not_the_same_text_elsewhere(value, after):
    assert rule("ends_with", [value]).blocks(after + value)
    assert not rule("ends_with", [value]).blocks(value + after + "#")


@settings(deadline=None)
@given(value=WORD, other=WORD)
def test_an_allow_list_blocks_every_value_not_on_it_and_no_value_on_it(value, other):
    allow = rule("exact_match", [value], control_type="whitelist")
    assert not allow.blocks(value)
    assert allow.blocks(other) == (other.casefold() != value.casefold())
    assert allow.blocks(None)  # a click without the variable is on no list


@settings(deadline=None)
@given(network=st.ip_addresses(v=4).map(lambda a: ipaddress.ip_network(f"{a}/8", strict=False)),
       host=st.integers(min_value=0, max_value=2 ** 24 - 1))
def test_a_cidr_rule_blocks_every_address_in_the_range_and_none_outside(network, host):
    inside = network.network_address + host
    blocker = rule("exact_match", [str(network)], variable="ip")
    assert blocker.blocks(str(inside))
    outside = ipaddress.ip_address((int(network.network_address) + 2 ** 24) % 2 ** 32)
    assert not blocker.blocks(str(outside))


def test_the_near_misses_of_the_brief_are_not_blocked():
    assert rule("exact_match", ["abc"]).blocks("ABC")
    assert not rule("exact_match", ["abc"]).blocks("abcd")
    cidr = rule("exact_match", ["10.0.0.0/8"], variable="ip")
    assert cidr.blocks("10.200.3.4") and not cidr.blocks("11.0.0.1")
    assert rule("exact_match", ["192.0.2.7"], variable="ip").blocks("192.0.2.7")
    assert not rule("exact_match", ["192.0.2.7"], variable="ip").blocks("192.0.2.70")
    assert not rule("exact_match", ["2001:db8::/32"], variable="ip").blocks("10.0.0.1")
    assert rule("begins_with", ["spam"]).blocks("spam-site") and not rule("begins_with", ["spam"]).blocks("a-spam")


def test_a_rule_applies_only_to_its_partners_offers_and_dates():
    scoped = rule(partner_ids=frozenset({5}), offer_ids=frozenset({7}),
                  valid_from=NOW - timedelta(days=1), valid_to=NOW + timedelta(days=1))
    assert scoped.applies(5, 7, NOW)
    assert not scoped.applies(6, 7, NOW) and not scoped.applies(5, 8, NOW)
    assert not scoped.applies(5, 7, NOW - timedelta(days=2)) and not scoped.applies(5, 7, NOW + timedelta(days=1))
    assert rule().applies(123, 456, NOW)


def test_blocking_rule_names_the_first_rule_that_blocks():
    other_partner = Rule(1, "blacklist", "sub1", "exact_match", ("abc",), partner_ids=frozenset({9}))
    country = Rule(2, "whitelist", "country", "exact_match", ("US", "CA"))
    found = blocking_rule([other_partner, country], 5, 7, {"sub1": "abc", "country": "fr"}, NOW)
    assert found is country
    assert blocking_rule([other_partner, country], 5, 7, {"sub1": "abc", "country": "us"}, NOW) is None


@pytest.mark.parametrize(("lines", "values", "problems"), [
    (["a", " A ", "", "b"], ["a", "b"], 0),
    (["10.0.0.0/8", "not an ip"], ["10.0.0.0/8"], 1),
    (["x\x00y"], [], 1),
    (["\ud800"], [], 1),
])
def test_clean_values_keeps_what_can_be_stored_and_says_what_cannot(lines, values, problems):
    kept, found = clean_values(lines, "ip" if "10.0.0.0/8" in lines else "sub1")
    assert kept == values and len(found) == problems


@pytest.mark.parametrize("comparison", ["contains", "begins_with", "ends_with"])
def test_a_cidr_range_is_refused_for_the_text_comparisons(comparison):
    """Read as text, an allow list of '10.0.0.0/8' would match no click and so block every one of them."""
    kept, problems = clean_values(["10.0.0.0/8"], "ip", comparison)
    assert kept == [] and "Exact match only" in problems[0]
    assert clean_values(["10.1."], "ip", comparison) == (["10.1."], [])
    assert not Rule(1, "whitelist", "ip", "exact_match", ("10.0.0.0/8",)).blocks("10.1.2.3")


def test_exact_match_takes_whole_addresses_and_ranges_and_maps_ipv4_in_ipv6():
    assert clean_values(["10.1."], "ip", "exact_match")[1]  # part of an address matches nothing exactly
    assert clean_values(["::ffff:1.2.3.4", "2001:db8::/32"], "ip", "exact_match") == (["1.2.3.4", "2001:db8::/32"], [])
