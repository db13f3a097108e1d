"""The upstream export's JSON array is decoded object by object, wherever the network cuts its chunks."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.affiliate.upstream.export import json_objects
from portal.domain.errors import UpstreamRefused

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
OBJECTS = st.lists(st.dictionaries(TEXT, st.one_of(TEXT, st.integers(), st.floats(allow_nan=False), st.none(),
                                                    st.booleans(), st.lists(st.integers(), max_size=3)),
                                   max_size=4), max_size=12)


@settings(deadline=None, max_examples=200)
@given(objects=OBJECTS, cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=8),
       indent=st.sampled_from([None, 1]), ascii_only=st.booleans())
def test_any_cutting_of_the_bytes_gives_the_same_objects(objects, cuts, indent, ascii_only):
    data = json.dumps(objects, indent=indent, ensure_ascii=ascii_only).encode()
    points = sorted({min(c, len(data)) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]
    assert list(json_objects(chunks)) == objects


@pytest.mark.parametrize("data", [b"", b"{}", b'[{"a": 1}', b'[{"a": 1},]', b"[1]", b'[{"a": 1}] x', b"[,]",
                                  b'[{"a": "\xff"}]', b'[{"a": 1} {"b": 2}]', b"null"])
def test_anything_but_a_whole_array_of_objects_is_refused(data):
    with pytest.raises(UpstreamRefused):
        list(json_objects([data[:3], data[3:]]))
