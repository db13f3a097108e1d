"""Hostile values for the fuzzers (tests/test_every_route_fuzz.py and the schemathesis tests of both APIs):
numbers no column holds, floats JSON cannot hold, lone surrogates, NUL, long and empty strings, wrong types.

`replace_one` turns a generated value (a query, a body) into the same value with one place made hostile,
which is what schemathesis' flatmap hooks need."""

from __future__ import annotations

import copy

from hypothesis import strategies as st

HUGE = [2**31, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63) - 1, -(2**31) - 1]
HOSTILE_TEXT = [
    *(str(n) for n in HUGE), "1e309", "-1e309", "NaN", "Infinity", "1.5", "-1", "0", "00", "1_000", "0x10",
    "\ud800", "a\udfffb", "\x00", "x\x00y", "", " ", "\t\r\n", "x" * 10_000, "١٢٣", "\u202e", "😀",
    "%", "%zz", "'", '"', "<script>alert(1)</script>", "../../etc/passwd", "null", "[]", "{}", "true",
    "2026-02-30", "0000-00-00", "9999-12-31 23:59:59", "-0001-01-01", "2026-11-01T25:61:61Z",
]
# Standard JSON only: 1e309 and NaN, which JSON encoders refuse to write, are sent as raw text by the tests
# of every route.
HOSTILE_JSON_SCALARS = [*HUGE, 1e308, -1e308, 5e-324, -0.0, 0.5, None, True, False, [], {}]

hostile_text = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=30),
                         st.text(st.characters(codec=None, categories=["Cs", "Cc", "Nd", "Zs"]), max_size=5))
# What a query string or a path can carry to the app: a lone surrogate cannot be percent-encoded by the
# client libraries (the tests of every route send its raw bytes, %ED%A0%80, instead).
hostile_wire_text = st.sampled_from([t for t in HOSTILE_TEXT if not any(0xD800 <= ord(c) <= 0xDFFF for c in t)])
hostile_scalar = st.one_of(hostile_text, st.sampled_from(HOSTILE_JSON_SCALARS), st.integers(),
                           st.floats(allow_nan=False, allow_infinity=False))
hostile_json = st.recursive(
    hostile_scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)),
    max_leaves=6)


def places(value, at=()) -> list[tuple]:
    """Every place in a JSON-like value: the value itself and each item and member, as key paths."""
    found = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            found += places(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += places(item, (*at, index))
    return found


def _set(value, at: tuple, new):
    if not at:
        return new
    value = copy.deepcopy(value)
    target = value
    for key in at[:-1]:
        target = target[key]
    target[at[-1]] = new
    return value


def replace_one(value, hostile: st.SearchStrategy, *, whole: bool = True, add: bool = True) -> st.SearchStrategy:
    """`value` with one place replaced by a hostile value, or (`add`, for a dict) a hostile member added."""
    spots = places(value) if whole else places(value)[1:]
    choices = []
    if spots:
        choices.append(st.sampled_from(spots).flatmap(lambda at: hostile.map(lambda new: _set(value, at, new))))
    if isinstance(value, dict) and add:
        choices.append(st.tuples(st.text(min_size=1, max_size=12), hostile)
                       .map(lambda pair: {**value, pair[0]: pair[1]}))
    return st.one_of(*choices) if choices else st.just(value)


# --- schemathesis hooks: one place of each generated query, path and body made hostile -----------------
# Applied per test with `schema.hooks.apply(...)`; the function names are the hooks' names.


def flatmap_query(ctx, query):
    return replace_one(dict(query or {}), hostile_wire_text, whole=False)


def flatmap_path_parameters(ctx, path_parameters):
    return replace_one(dict(path_parameters or {}), hostile_wire_text, whole=False, add=False)


def flatmap_body(ctx, body):
    return replace_one(body, hostile_json)


SCHEMATHESIS_HOOKS = (flatmap_query, flatmap_path_parameters, flatmap_body)
