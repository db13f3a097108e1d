"""Each request field's parser takes what its JSON Schema in the OpenAPI document takes, and the few
differences are the ones named here.

Every field of the tables in portal.affiliate.parsing is read by its kind and described by the same kind.
For generated values (valid ones, near misses, and any JSON: huge integers, floats, lone surrogates) the
parser's answer is compared with an independent validator's (jsonschema) on the field's schema. Where
they differ, the difference must be one of two named kinds:

- lenient: the parser takes more than the document promises (Everflow's clients send padded, unpadded
  and otherwise loose values); the test checks the parser then read the very value the text holds;
- beyond the schema: a rule JSON Schema cannot state (a calendar date, a limit per filter type); the API
  answers those with a 400 naming the field, which tests/api/affiliate/test_schemathesis.py allows for.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from portal.affiliate import parsing
from portal.affiliate.fields import ABSENT, DATE_PATTERN
from portal.domain import timezones
from portal.domain.criteria import (FILTER_TYPES, MAX_FILTER_VALUES, MAX_ID, ORDER_FIELDS, REPORT_COLUMNS,
                                    SEARCH_FIELDS, STATUSES)
from portal.domain.errors import BadRequest
from portal.domain.text import text_fault

QUERY = parsing.CONVERSIONS["query"].kind.body
FIELDS = {
    "from": parsing.REPORT["from"],
    "timezone_id": parsing.REPORT["timezone_id"],
    "timezone": parsing.REPORT["timezone"],
    "include_test_data": parsing.REPORT["include_test_data"],
    "show_events": parsing.CONVERSIONS["show_events"],
    "currency_id": parsing.REPORT["currency_id"],
    "columns": parsing.REPORT["columns"],
    "filters": QUERY["filters"],
    "search_terms": QUERY["search_terms"],
    "on_hold_status_filter": parsing.ON_HOLD["on_hold_status_filter"],
    "format": parsing.EXPORT["format"],
    "page": parsing.PAGING["page"],
    "page_size": parsing.PAGING["page_size"],
    "order_field": parsing.ORDER["order_field"],
    "order_direction": parsing.ORDER["order_direction"],
}
QUERY_STRING = {"page", "page_size", "order_field", "order_direction"}  # the rest come in a JSON body

# --- values -------------------------------------------------------------------------------------------

# Characters where loose input lives: every kind of whitespace, digits of other scripts, lone surrogates.
SPACES = " \t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u3000"
OTHER_DIGITS = "٠١٢٣٤٥٦٧٨٩०१२३४५६७८९０１２３４５６７８９"
SUPERSCRIPTS = "²³¹⁴"  # digits to str.isdigit(), not to int()
characters = (st.characters() | st.sampled_from(SPACES + OTHER_DIGITS + SUPERSCRIPTS)
              | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF))
text = st.text(characters, max_size=12)
huge = st.integers(min_value=2**53, max_value=10**1200) | st.sampled_from([2**31, 2**53 + 1, 2**63, 10**501, -10**600])
scalars = (st.none() | st.booleans() | st.integers() | huge | st.floats(allow_nan=False, allow_infinity=False)
           | st.sampled_from([0.0, 1.0, -0.0, 67.0, 12.5, 1e16]) | text)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(text, inner, max_size=3), max_leaves=6)


def padded(strategy):
    """The value with whitespace around it, or in another script's digits."""
    return st.tuples(strategy, st.text(st.sampled_from(SPACES), max_size=2), st.text(st.sampled_from(SPACES),
                                                                                     max_size=2)).map(
        lambda t: t[1] + t[0] + t[2])


def other_script(strategy):
    return st.tuples(strategy, st.sampled_from(["٠", "०", "０"])).map(
        lambda t: "".join(chr(ord(t[1]) + int(c)) if c.isascii() and c.isdigit() else c for c in t[0]))


def loose(strategy):
    """Valid values and near misses of them."""
    return strategy | padded(strategy) | other_script(strategy) | strategy.map(str.upper) | strategy.map(
        lambda s: s[:-1]) | st.tuples(strategy, text).map("".join)


def moment_text(year, month, day, clock, sep, pad):
    width = 2 if pad else 1
    day_text = f"{year:04d}-{month:0{width}d}-{day:0{width}d}"
    return day_text if clock is None else day_text + sep + ":".join(f"{n:0{width}d}" for n in clock)


moments = st.builds(moment_text, st.integers(1990, 2110), st.integers(0, 13), st.integers(0, 32),
                    st.none() | st.tuples(st.integers(0, 25), st.integers(0, 61), st.integers(0, 62)),
                    st.sampled_from([" ", "T", "t", "  ", "\t", "/"]), st.booleans())
ids = [z.timezone_id for z in timezones.TIMEZONES]
timezone_ids = (st.sampled_from(ids) | st.integers(-5, 1100) | st.sampled_from(ids).map(float)
                | loose(st.sampled_from(ids).map(str)) | st.sampled_from(ids).map(lambda i: f"0{i}"))
flags = st.sampled_from([True, False, 1, 0, 1.0, 0.0, 2, -1, "true", "false", "1", "0", "", "True", "yes", " 1",
                         "1.0", None])
columns = st.lists(st.sampled_from([*REPORT_COLUMNS, "bogus", "Offer"]).map(lambda c: {"column": c})
                   | st.sampled_from(REPORT_COLUMNS)  # a bare name
                   | st.sampled_from(REPORT_COLUMNS).map(lambda c: {"column": c, "x": 1}) | json_values, max_size=12)
filter_values = (st.integers(-3, 10**6) | huge | st.sampled_from([12.0, 12.5, True, None, [], {}])
                 | loose(st.integers(0, 10**6).map(str)) | loose(st.sampled_from(STATUSES))
                 | st.text(st.sampled_from(SPACES), min_size=1, max_size=3) | text
                 | st.sampled_from([499, 500, 501]).flatmap(lambda n: padded(st.just("7" * n))))
filters = st.lists(st.fixed_dictionaries({"resource_type": st.sampled_from([*FILTER_TYPES, "bogus", 5]),
                                          "filter_id_value": filter_values})
                   | json_values, max_size=5)
search_values = (text | padded(text) | st.text(st.sampled_from(SPACES), max_size=3) | st.none() | st.integers()
                 | st.sampled_from([199, 200, 201]).map(lambda n: "a" * n)
                 | st.sampled_from([198, 199]).map(lambda n: " " + "a" * n + " "))
search_terms = st.lists(st.fixed_dictionaries({"search_type": st.sampled_from([*SEARCH_FIELDS, "bogus"]),
                                               "value": search_values}) | json_values, max_size=4)
page_texts = (loose(st.integers(0, 10**10).map(str)) | st.integers(1, 3000).map(lambda n: f"{n}.0")
              | st.sampled_from(["", "0", "-1", "1e2", "2E0", "5.00", "5.", ".5", "5.5", "0005", "0000000005",
                                 "999999999", "1000000000", "2000", "2001"]) | text)


def mostly(near, anything=json_values):
    """Two draws in three from the values near the field's own, one from any JSON at all."""
    return st.integers(0, 2).flatmap(lambda pick: anything if pick == 0 else near)


STRATEGIES = {
    "from": mostly(loose(moments) | moments),
    "timezone_id": mostly(timezone_ids),
    "timezone": mostly(loose(st.sampled_from([z.iana for z in timezones.TIMEZONES]))
                       | st.sampled_from(["", "utc", "Mars/Olympus", "Europe/Madrid", "localtime", "Factory"])),
    "include_test_data": mostly(flags),
    "show_events": flags,
    "currency_id": mostly(loose(st.sampled_from(["USD", "eur", "ÄÖÜ", "US", "USDT"]))),
    "columns": mostly(columns),
    "filters": mostly(filters),
    "search_terms": mostly(search_terms),
    "on_hold_status_filter": mostly(st.sampled_from(["on_hold", "approved", "rejected", "", None, "ON_HOLD",
                                                     "pending"])),
    "format": mostly(st.sampled_from(["csv", "json", "ndjson", "CSV", "xml", "", None])),
    "page": mostly(page_texts, text),
    "page_size": mostly(page_texts, text),
    "order_field": mostly(loose(st.sampled_from(["", *ORDER_FIELDS])), text),
    "order_direction": mostly(loose(st.sampled_from(["", "asc", "desc"])), text),
}

# --- the two oracles ----------------------------------------------------------------------------------


def parsed(field, raw):
    """(True, value) when the parser takes `raw`, (False, None) when it answers with a BadRequest."""
    try:
        return True, field.take(raw)
    except BadRequest:
        return False, None


def documented(field, raw) -> bool:
    """Whether the OpenAPI document takes `raw`. A query-string argument is text on the wire: an integer
    parameter takes the text of any JSON number the schema takes (67 and 67.0 alike)."""
    validator = Draft202012Validator(field.schema())
    if validator.is_valid(raw):
        return True
    if field.name in QUERY_STRING:
        try:
            number = json.loads(raw)
        except ValueError:
            return False
        return isinstance(number, (int, float)) and not isinstance(number, bool) and validator.is_valid(number)
    return False


# --- the named differences ----------------------------------------------------------------------------


def ascii_digits(value: str) -> str:
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in value)


def numbers_in(value: str) -> list[int]:
    return [int(n) for n in re.findall(r"[0-9]+", ascii_digits(value))]


def loose_moment(raw, value) -> bool:
    """Padded, unpadded, a lower-case t, or other whitespace between date and time: the parser still read
    the numbers the text holds, in order."""
    moment, whole_day = value
    expected = [moment.year, moment.month, moment.day] + ([] if whole_day else [moment.hour, moment.minute,
                                                                                 moment.second])
    return numbers_in(raw) == expected


def impossible_moment(raw) -> bool:
    """Matches the pattern but names no moment from 2000 to 2100 (30 February, hour 25, year 1999)."""
    try:
        moment = datetime.fromisoformat(raw.strip().replace(" ", "T"))
    except ValueError:
        return True
    return not 2000 <= moment.year <= 2100


def loose_text(raw, value) -> bool:
    """Whitespace around it, or digits of another script, or another case: the parser read the same value."""
    return isinstance(raw, str) and ascii_digits(raw.strip()).lower().lstrip("0") == str(value).lower().lstrip("0")


def loose_timezone_id(raw, value) -> bool:
    return isinstance(raw, str) and timezones.by_id(int(ascii_digits(raw.strip()))).iana == value


def loose_currency(raw, value) -> bool:
    return isinstance(raw, str) and raw.strip().isalpha() and len(raw.strip()) == 3


def loose_columns(raw, value) -> bool:
    """A bare name is taken for {"column": name}."""
    return any(isinstance(item, str) for item in raw) and list(value) == [
        item if isinstance(item, str) else item["column"] for item in raw]


def repeated_columns(raw) -> bool:
    """Two objects naming one column but differing elsewhere: uniqueItems sees two different items."""
    names = [item.get("column") for item in raw if isinstance(item, dict)]
    return len(names) != len(set(names))


def loose_filters(raw, value) -> bool:
    """A value padded with any whitespace, longer than 500 only by its padding, or in other digits."""
    return any(isinstance(item["filter_id_value"], str) and (
        item["filter_id_value"] != item["filter_id_value"].strip() or not item["filter_id_value"].isascii())
        for item in raw)


def filters_beyond_schema(raw) -> bool:
    """A value that is only whitespace to Python but not to the pattern, text with NUL or a lone surrogate,
    an offer id past the database's ids written as a string, an integer of more than 500 digits,
    a float from 2**53 (JSON Schema calls 1e16 an integer; the parser takes whole numbers written with a
    point only below 2**53, where a float holds them exactly), or more than MAX_FILTER_VALUES distinct
    values of one type."""
    per_type: dict[str, set] = {}
    for item in raw:
        value = item["filter_id_value"]
        if isinstance(value, str) and (not value.strip() or text_fault(value)):
            return True
        if item["resource_type"] == "offer" and isinstance(value, str) and int(value) > MAX_ID:
            return True
        if isinstance(value, int) and len(str(value)) > 500:
            return True
        if isinstance(value, float) and abs(value) >= 2**53:
            return True
        per_type.setdefault(item["resource_type"], set()).add(str(value).strip())
    return any(len(values) > MAX_FILTER_VALUES for values in per_type.values())


def exponent(raw) -> bool:
    """1e2 is a JSON number, and a whole one; the parser reads digits (and 67.0) only."""
    return "e" in raw.lower()


# field → (lenient(raw, value), beyond the schema(raw)); None: the two oracles agree on every value.
DIFFERENCES = {
    "from": (loose_moment, impossible_moment),
    "timezone_id": (loose_timezone_id, None),
    "currency_id": (loose_currency, None),
    "columns": (loose_columns, repeated_columns),
    "filters": (loose_filters, filters_beyond_schema),
    "page": (loose_text, exponent),
    "page_size": (loose_text, exponent),
    "order_direction": (loose_text, None),
}


@pytest.mark.parametrize("name", FIELDS)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_the_parser_takes_what_the_document_says(name, data):
    field = FIELDS[name]
    raw = data.draw(STRATEGIES[name], label=name)
    taken, value = parsed(field, raw)
    promised = documented(field, raw)
    lenient, beyond_schema = DIFFERENCES.get(name, (None, None))
    if taken and not promised:
        assert lenient is not None and lenient(raw, value), f"{name}: the parser took {raw!r} beyond its schema"
    if promised and not taken:
        assert beyond_schema is not None and beyond_schema(raw), f"{name}: the schema takes {raw!r}, the parser not"


@pytest.mark.parametrize("name, raw", [
    ("filters", [{"resource_type": "sub1", "filter_id_value": "\x0b"}]),
    ("filters", [{"resource_type": "sub1", "filter_id_value": 10**501}]),
    ("filters", [{"resource_type": "offer", "filter_id_value": str(MAX_ID + 1)}]),
    ("filters", [{"resource_type": "sub2", "filter_id_value": "a\ud800"}]),
    ("filters", [{"resource_type": "offer", "filter_id_value": n} for n in range(MAX_FILTER_VALUES + 1)]),
    ("columns", [{"column": "offer"}, {"column": "offer", "label": "x"}]),
    ("from", "2026-02-30"),
    ("from", "1999-12-31"),
])
def test_the_rules_beyond_the_schema_are_real(name, raw):
    """Each named difference happens: the schema takes these values and the parser refuses them."""
    assert documented(FIELDS[name], raw) and not parsed(FIELDS[name], raw)[0]


@pytest.mark.parametrize("name, raw, value", [
    ("from", " 2026-1-5 ", (datetime(2026, 1, 5), True)),
    ("from", "2026-01-05t10:00:00", (datetime(2026, 1, 5, 10), False)),
    ("from", "2026-01-05\t10:00:00", (datetime(2026, 1, 5, 10), False)),
    ("from", "2026-01- 5", (datetime(2026, 1, 5), True)),
    ("timezone_id", " 067", "UTC"),
    ("currency_id", " usd ", " usd "),
    ("columns", ["offer", {"column": "date"}], ("offer", "date")),
    ("page", "\t0042", 42),
    ("order_direction", "DESC", "desc"),
])
def test_the_lenient_readings_are_real(name, raw, value):
    """Each named leniency happens: the document does not promise the value, and the parser reads the value
    the text holds."""
    assert not documented(FIELDS[name], raw)
    assert parsed(FIELDS[name], raw) == (True, value)


@pytest.mark.parametrize("name, field", [(name, field) for body in (parsing.REPORT, parsing.ON_HOLD,
                                                                     parsing.CLICKS, parsing.DASHBOARD, parsing.EXPORT)
                                          for name, field in ((f.name, f) for f in body.fields)])
def test_a_missing_field_is_refused_exactly_when_the_schema_requires_it(name, field):
    missing = not parsed(field, ABSENT)[0]
    assert missing == field.required


@example(raw=None)
@example(raw=[])
@given(raw=json_values)
@settings(deadline=None)
def test_the_query_object_is_an_object_or_null_in_both(raw):
    """The object around filters and search_terms (whose values the test above covers)."""
    field = parsing.CONVERSIONS["query"]
    if raw is None:
        assert parsed(field, raw)[0] and documented(field, raw)
    elif not isinstance(raw, dict):
        assert not parsed(field, raw)[0] and not documented(field, raw)


def test_the_date_pattern_is_the_one_the_document_shows():
    schema = parsing.REPORT.schema()["properties"]["from"]
    assert schema["pattern"] == DATE_PATTERN and re.search(DATE_PATTERN, "2026-11-01 10:00:00")


@pytest.mark.parametrize("name, raw", [("timezone_id", "²"), ("timezone_id", "6²"), ("page", "²"),
                                       ("page_size", "1²")])
def test_digits_int_cannot_read_are_a_400_naming_the_field(name, raw):
    """str.isdigit() takes superscripts, which int() cannot read: the parsers check for ASCII digits."""
    with pytest.raises(BadRequest) as refused:
        FIELDS[name].take(raw)
    assert refused.value.field == name


def test_an_offer_filter_of_superscript_digits_is_a_400():
    body = {"from": "2026-11-01", "to": "2026-11-02", "query": {"filters": [
        {"resource_type": "offer", "filter_id_value": "1²"}]}}
    with pytest.raises(BadRequest, match="offer id"):
        parsing.conversion_query(body, "UTC")
