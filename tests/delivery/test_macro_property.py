"""Macros cannot change where a postback goes: for any sub1…sub5, the rendered URL keeps the template's
scheme, host, port, path depth and query keys, as parsed by the very function the sender connects with."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.delivery import macros
from portal.delivery.http import parse_destination

TEMPLATES = [
    "https://track.partner.example/postback/{sub1}?tid={transaction_id}&s1={sub1}&s2={sub2}&s3={sub3}"
    "&s4={sub4}&s5={sub5}",
    "http://partner.example:8080/{sub2}/{sub3}?click={sub1}#{sub4}",
    "https://[2606:4700:4700::1111]/pb?x={sub5}&y={sub1}",
]
SUBS = ("sub1", "sub2", "sub3", "sub4", "sub5")
sub_values = st.text(alphabet=st.characters(codec="utf-8"), max_size=60) | st.sampled_from([
    "x&payout=999#", "@127.0.0.1", "/../admin", "?a=b", "//evil.com", "%2F..%2F", "\\@evil.com", ":6379",
    "[::1]", "\r\nHost: evil.com", "127。0。0。1", "{sub1}",
])


def shape(url: str):
    parts = urlsplit(url)
    return (parts.scheme, parts.hostname, parts.port, parts.path.count("/"),
            [key for key, _ in parse_qsl(parts.query, keep_blank_values=True)])


@pytest.mark.parametrize("template", TEMPLATES)
@settings(max_examples=100, deadline=None)
@given(values=st.fixed_dictionaries({name: sub_values for name in SUBS}))
@example(values={name: "x&payout=999#" for name in SUBS})
@example(values={name: "@127.0.0.1" for name in SUBS})
@example(values={name: "/../admin" for name in SUBS})
def test_no_sub_value_changes_where_the_request_goes(template, values):
    rendered = macros.render(template, dict(values, transaction_id="t1"))
    assert shape(rendered) == shape(macros.render(template, {}))
    sent, intended = parse_destination(rendered), parse_destination(macros.render(template, {}))
    assert (sent.scheme, sent.host, sent.port) == (intended.scheme, intended.host, intended.port)
    assert sent.target.partition("?")[0].count("/") == intended.target.partition("?")[0].count("/")
    query = dict(parse_qsl(urlsplit(rendered).query, keep_blank_values=True))
    for key, name in (("s1", "sub1"), ("s2", "sub2"), ("y", "sub1"), ("x", "sub5"), ("click", "sub1")):
        if key in query:
            assert query[key] == values[name]
