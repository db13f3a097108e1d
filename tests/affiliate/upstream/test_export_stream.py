"""The upstream export: a JSON array decoded object by object, or an Arrow stream read batch by batch, wherever
the network cuts its chunks; the two give the partner the same file."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.affiliate.upstream import mapping
from portal.affiliate.upstream.arrow_export import END_OF_STREAM, MAX_MESSAGE_BYTES, partner_frame
from portal.affiliate.upstream.export import batches, json_objects
from portal.domain.errors import UpstreamRefused, UpstreamUnavailable
from portal.exports.conversions import conversion_frame
from portal.exports.network_conversions import NETWORK_CONVERSION_COLUMNS
from portal.exports.tabular import arrow_chunks

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
ALNUM = st.characters(min_codepoint=48, max_codepoint=122)
# Amounts as a network writes them (cents over 100), odd decimals and the limits of what money can be.
MONEY = st.one_of(st.integers(-10**9, 10**12).map(lambda c: c / 100),
                  st.floats(min_value=-1e14, max_value=1e14, allow_nan=False), st.sampled_from([0.125, 1.005, -2.675]))
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


# The network export's columns as this portal's Network API writes them in Arrow (its declared dtypes).
NETWORK_ROW = st.fixed_dictionaries({
    "conversion_id": st.one_of(st.just(""), st.text(ALNUM, min_size=1, max_size=12)),
    "network_affiliate_id": st.just(7),
    "network_offer_id": st.integers(0, 2**63 - 1),
    "offer_name": TEXT,
    "transaction_id": TEXT,
    "conversion_unix_timestamp": st.one_of(st.integers(-10, 2**62), st.sampled_from([0, 32_503_679_999])),
    "click_unix_timestamp": st.one_of(st.just(0), st.integers(1, 4_102_444_800)),
    "status": st.sampled_from(["", "approved", "pending", "rejected", "invalid"]),
    "payout_type": st.sampled_from(["", "cpa", "CPS", "cpc", "prv", "weird"]),
    "payout": MONEY, "sale_amount": MONEY,
    "currency_id": st.sampled_from(["", "usd", "EUR", "gbpx", "x", "ßx", "ﬁab", "éur"]),
    "is_event": st.booleans(), "event": TEXT,
    **{name: TEXT for name in ("sub1", "sub2", "sub3", "sub4", "sub5", "source_id", "order_id", "coupon_code",
                               "country", "device_type", "platform", "browser", "conversion_user_ip")},
    "is_test": st.booleans(),
    "holding_period_end": st.one_of(st.none(), st.integers(0, 4_102_444_800)),
})


@settings(deadline=None, max_examples=150)
@given(rows=st.lists(NETWORK_ROW, min_size=1, max_size=12), timezone=st.sampled_from(["UTC", "Asia/Kolkata",
                                                                                      "America/New_York"]))
def test_an_arrow_batch_gives_the_partner_the_same_file_as_the_same_rows_in_json(rows, timezone):
    """The columnar mapping (Arrow) and the object-by-object one (JSON, as from Everflow) agree on every cell."""
    batch = pa.RecordBatch.from_pandas(pd.DataFrame(
        {name: pd.array([row[name] for row in rows], dtype=NETWORK_CONVERSION_COLUMNS[name])
         for name in NETWORK_CONVERSION_COLUMNS if name in rows[0]}), preserve_index=False)
    columnar = conversion_frame(partner_frame(batch, 7, "CAD"), timezone)
    one_by_one = conversion_frame([mapping.conversion_row(row, "CAD") for row in rows], timezone)
    pd.testing.assert_frame_equal(columnar, one_by_one)


def test_an_arrow_batch_with_another_affiliates_row_or_without_the_affiliate_is_refused():
    frame = pd.DataFrame({"network_affiliate_id": pd.array([7, 8], dtype="Int64"), "conversion_id": ["a", "b"]})
    with pytest.raises(UpstreamRefused, match="another affiliate"):
        partner_frame(pa.RecordBatch.from_pandas(frame), 7, "USD")
    frame["network_affiliate_id"] = pd.array([7, None], dtype="Int64")
    with pytest.raises(UpstreamRefused, match="another affiliate"):
        partner_frame(pa.RecordBatch.from_pandas(frame), 7, "USD")
    with pytest.raises(UpstreamRefused, match="another affiliate"):
        partner_frame(pa.RecordBatch.from_pandas(frame.drop(columns="network_affiliate_id")), 7, "USD")


class _Answer:
    """What _arrow_batches reads of a response: its body in chunks, its close()."""

    def __init__(self, data: bytes, cut: int) -> None:
        self.data, self.cut, self.closed = data, cut, False
        self.headers = {"Content-Type": "application/vnd.apache.arrow.stream"}

    def iter_content(self, size):
        for at in range(0, len(self.data), self.cut):
            yield self.data[at:at + self.cut]

    def close(self):
        self.closed = True


def _network_stream(rows: int) -> bytes:
    frame = pd.DataFrame({"network_affiliate_id": np.full(rows, 7), "conversion_id": [f"c{i}" for i in range(rows)],
                          "conversion_unix_timestamp": np.arange(rows) + 1_700_000_000})
    for name, dtype in NETWORK_CONVERSION_COLUMNS.items():
        if name not in frame:
            frame[name] = pd.Series([None] * rows, dtype=dtype) if dtype in ("string", "Int64") else \
                pd.Series(np.zeros(rows), dtype=dtype)
    return b"".join(arrow_chunks([frame.iloc[:rows // 2], frame.iloc[rows // 2:]]))


@pytest.mark.parametrize("cut", [1, 7, 4096, 1 << 20])
def test_an_arrow_stream_is_read_whole_wherever_the_network_cuts_it(cut):
    answer = _Answer(_network_stream(1000), cut)
    frames = list(batches(answer, 7, "USD", 300))
    assert [len(f) for f in frames] == [300, 200, 300, 200] and answer.closed  # at most batch_size rows at once
    assert list(pd.concat(frames)["conversion_id"]) == [f"c{i}" for i in range(1000)]


def _first_batch_end(data: bytes) -> int:
    """Where the first record batch message of an IPC stream ends (schema message, then one batch)."""
    stream = pa.BufferReader(data)
    for _ in range(2):
        pa.ipc.read_message(stream)
    return stream.tell()


@pytest.mark.parametrize("damage", ["short", "garbage", "empty", "json", "no end marker", "cut at a batch"])
def test_an_arrow_stream_that_breaks_off_or_is_not_arrow_is_refused(damage):
    data = _network_stream(10)
    assert data.endswith(END_OF_STREAM)
    data = {"short": data[:len(data) - 200], "garbage": b"\x00" * 40 + data, "empty": b"",
            "json": b'[{"network_affiliate_id": 7}]', "no end marker": data[:-len(END_OF_STREAM)],
            "cut at a batch": data[:_first_batch_end(data)]}[damage]
    answer = _Answer(data, 64)
    with pytest.raises(UpstreamRefused):
        list(batches(answer, 7, "USD", 100))
    assert answer.closed


def test_an_arrow_stream_cut_off_by_the_network_is_a_503():
    data = _network_stream(1000)

    class CutOff(_Answer):
        def iter_content(self, size):
            yield self.data[:3000]
            raise requests.exceptions.ChunkedEncodingError("connection broken")

    answer = CutOff(data, 0)
    with pytest.raises(UpstreamUnavailable):
        list(batches(answer, 7, "USD", 100))
    assert answer.closed


def _stream_of(batch: pa.RecordBatch) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return sink.getvalue().to_pybytes()


def test_broken_buffers_in_a_batch_are_refused_not_read():
    """An IPC reader checks neither string offsets nor UTF-8: a batch whose text is not UTF-8, or whose offsets
    point past its data, must fail the export (never a crash, never bytes from beyond the column)."""
    batch = pa.record_batch({"network_affiliate_id": pa.array([7]), "conversion_id": pa.array(["c"]),
                             "sub1": pa.array(["TTTTTTTT"])})
    data = _stream_of(batch)
    offsets_then_text = np.array([0, 8], np.int32).tobytes() + b"TTTTTTTT"
    assert data.count(offsets_then_text) == 1
    not_utf8 = data.replace(b"TTTTTTTT", b"\xff\xfe\xc3\x28TTTT")
    past_end = data.replace(offsets_then_text, np.array([0, 40], np.int32).tobytes() + b"TTTTTTTT")
    for broken in (not_utf8, past_end):
        answer = _Answer(broken, 4096)
        with pytest.raises(UpstreamRefused):
            list(batches(answer, 7, "USD", 100))
        assert answer.closed


def test_a_message_declaring_an_impossible_length_is_refused_before_anything_is_allocated():
    data = bytearray(_network_stream(10))
    first = _first_batch_end(bytes(data))
    metadata_length = int.from_bytes(data[first + 4:first + 8], "little")  # the second batch's message
    assert metadata_length < MAX_MESSAGE_BYTES
    data[first + 4:first + 8] = (2**31 - 1).to_bytes(4, "little")  # a metadata length no export has
    with pytest.raises(UpstreamRefused):
        list(batches(_Answer(bytes(data), 4096), 7, "USD", 100))


@pytest.mark.parametrize("owner", [pa.array([7.0]), pa.array([True]), pa.array(["7"]), pa.array([None], pa.int64())])
def test_an_affiliate_id_that_is_not_an_integer_is_foreign(owner):
    batch = pa.record_batch({"network_affiliate_id": owner, "conversion_id": pa.array(["c"])})
    with pytest.raises(UpstreamRefused, match="another affiliate"):
        partner_frame(batch, 7 if owner.type != pa.bool_() else 1, "USD")


def test_columns_the_upstream_leaves_out_read_as_absent_fields_do_in_json():
    row = {"network_affiliate_id": 7, "conversion_id": "c1", "conversion_unix_timestamp": 1_700_000_000,
           "hold_until_unix_timestamp": 1_700_000_900, "payout": 2.5}
    batch = pa.RecordBatch.from_pylist([row])
    pd.testing.assert_frame_equal(conversion_frame(partner_frame(batch, 7, "EUR"), "UTC"),
                                  conversion_frame([mapping.conversion_row(row, "EUR")], "UTC"))


def test_a_column_of_the_wrong_kind_fails_the_export():
    batch = pa.record_batch({"network_affiliate_id": pa.array([7]), "payout": pa.array(["12.50"])})
    with pytest.raises(ValueError, match="payout"):
        partner_frame(batch, 7, "USD")
