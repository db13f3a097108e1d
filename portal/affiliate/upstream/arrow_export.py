"""The upstream's conversion export as Apache Arrow's IPC stream: record batches checked and mapped column by column.

A batch is first validated in full (offsets inside their buffers, text that is UTF-8: an IPC reader checks
neither, and a broken buffer must never reach a partner's file), then checked as a whole to be the
partner's (every `network_affiliate_id` an integer equal to the partner's upstream id; anything else fails
the export), then mapped to the partner's fields as mapping.conversion_row maps one JSON object: a
DataFrame with CONVERSION_FIELDS columns, the network's revenue, profit and advertiser left behind. A
column the upstream leaves out reads as absent, as a missing JSON field does; one of the wrong kind (text
where a number belongs) fails the export.

The body is read with the sizes the reader asks for, none larger than MAX_MESSAGE_BYTES (a declared length
no batch of an export comes near is refused before anything is allocated), and batches are handed on at
most `batch_size` rows at a time. A stream must end with Arrow's end-of-stream marker: one that stops at a
batch boundary without it broke off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import requests

from portal.affiliate.upstream import mapping
from portal.domain.errors import UpstreamRefused, UpstreamUnavailable
from portal.domain.records import CONVERSION_FIELDS

log = logging.getLogger(__name__)

ARROW_STREAM = "application/vnd.apache.arrow.stream"
UNREADABLE = "The network's tracking platform sent an export this portal cannot read"
FOREIGN = "The network's tracking platform answered with another affiliate's data; nothing is shown"
CHUNK_BYTES = 256 * 1024
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
END_OF_STREAM = b"\xff\xff\xff\xff\x00\x00\x00\x00"  # continuation marker, zero-length metadata
_LAST_SECOND = 32_503_680_000  # year 3000, as mapping.instant
_TEXT = {"transaction_id": "transaction_id", "sub1": "sub1", "sub2": "sub2", "sub3": "sub3", "sub4": "sub4",
         "sub5": "sub5", "source_id": "source_id", "order_id": "order_id", "coupon_code": "coupon_code",
         "country": "country", "device": "device_type", "browser": "browser", "platform": "platform",
         "ip": "conversion_user_ip"}  # ConversionRecord field ← network export column ("" is none)

# What each kind of column may be, and the type it is read as when the upstream leaves it out.
_KINDS: dict[str, tuple[Callable[[pa.DataType], bool], pa.DataType]] = {
    "text": (lambda t: pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t),
             pa.large_string()),
    "integer": (pa.types.is_integer, pa.int64()),
    "number": (lambda t: pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t), pa.float64()),
    "flag": (pa.types.is_boolean, pa.bool_()),
}


class _Body:
    """The response body as a file for Arrow's stream reader: read(n) gives what was asked (less only at the
    body's end), refuses more than MAX_MESSAGE_BYTES, and keeps the last bytes read (the end marker)."""

    closed, mode = False, "rb"

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._left, self.tail = chunks, memoryview(b""), b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > MAX_MESSAGE_BYTES:
            raise ValueError("an Arrow message larger than any batch of an export")
        parts: list[bytes] = []
        wanted = size
        while wanted:
            if not len(self._left):
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._left = memoryview(chunk)  # an empty chunk is not the end: the next one is read
                continue
            parts.append(bytes(self._left[:wanted]))
            wanted -= len(parts[-1])
            self._left = self._left[len(parts[-1]):]
        data = b"".join(parts)
        self.tail = (self.tail + data)[-len(END_OF_STREAM):]
        return data

    def close(self) -> None:
        self.closed = True


def batches(response: requests.Response, affiliate_id: int, currency: str, batch_size: int) -> Iterator[pd.DataFrame]:
    """The partner's conversions of an Arrow export, DataFrames of at most batch_size rows; the response is
    closed when the iterator ends or is closed."""
    body = _Body(response.iter_content(CHUNK_BYTES))
    try:
        reader = pa.ipc.open_stream(body)
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            for start in range(0, batch.num_rows, max(1, batch_size)):
                yield partner_frame(batch.slice(start, batch_size), affiliate_id, currency)
        if body.tail != END_OF_STREAM:
            raise ValueError("the Arrow stream stopped without its end-of-stream marker")
    except requests.RequestException as err:  # the body broke off or stalled
        log.warning("upstream conversion export: %s while reading", type(err).__name__)
        raise UpstreamUnavailable(30) from None
    except (pa.ArrowException, OSError, ValueError, TypeError, KeyError, OverflowError, MemoryError) as err:
        # OSError: Arrow's reader of a stream that ends part-way (a connection that failed is caught above)
        log.error("upstream conversion export (Arrow) unreadable: %s", type(err).__name__)
        raise UpstreamRefused(UNREADABLE) from None
    finally:
        response.close()


def partner_frame(batch: pa.RecordBatch, affiliate_id: int, currency: str) -> pd.DataFrame:
    """One record batch of the network's conversion export → the partner's conversions, a DataFrame with
    CONVERSION_FIELDS columns (times as UTC datetimes, money in minor units). UpstreamRefused when any row is
    not the partner's; ValueError or an Arrow error when a buffer is broken or a column of the wrong kind."""
    batch.validate(full=True)
    names = set(batch.schema.names)

    def column(name: str, kind: str) -> pa.Array:
        accepts, absent = _KINDS[kind]
        if name not in names:
            return pa.nulls(batch.num_rows, absent)
        values = batch.column(name)
        if pa.types.is_dictionary(values.type):
            values = values.dictionary_decode()
        if not accepts(values.type):
            raise ValueError(f"the export's {name} column is {values.type}, not {kind}")
        return values

    owner = batch.column("network_affiliate_id") if "network_affiliate_id" in names else None
    if owner is not None and pa.types.is_dictionary(owner.type):
        owner = owner.dictionary_decode()
    if owner is None or not pa.types.is_integer(owner.type) or owner.null_count \
            or not pc.all(pc.equal(owner, affiliate_id)).as_py():  # as mapping.belongs: an integer, the partner's
        log.error("upstream: a conversion export held rows of another affiliate (or unreadable ones)")
        raise UpstreamRefused(FOREIGN)

    def text(name: str) -> pa.Array:
        values = pc.cast(column(name, "text"), pa.large_string())
        return pc.if_else(pc.equal(values, ""), None, values)

    def seconds(name: str) -> np.ndarray:
        """Unix seconds as float64 (the range that matters is far below 2**53), NaN for none."""
        values = pc.cast(column(name, "number"), pa.float64(), safe=False)
        return pc.fill_null(values, np.nan).to_numpy(zero_copy_only=False)

    offer_id = pc.cast(column("network_offer_id", "integer"), pa.int64())
    limit = 10 ** mapping.MAX_ID_DIGITS  # as mapping._int: a longer id is none
    offer_id = pc.fill_null(pc.if_else(pc.and_(pc.greater(offer_id, -limit), pc.less(offer_id, limit)), offer_id, 0), 0)
    named = pc.binary_join_element_wise(pa.scalar("Offer ", pa.large_string()), pc.cast(offer_id, pa.large_string()),
                                        pa.scalar("", pa.large_string()))
    hold = seconds("holding_period_end")
    unset = np.isnan(hold) | (hold == 0)  # as JSON: holding_period_end, else hold_until_unix_timestamp
    data = {
        "conversion_id": pc.fill_null(pc.cast(column("conversion_id", "text"), pa.large_string()), ""),
        "created_at": _moments(seconds("conversion_unix_timestamp"), np.datetime64(0, "s")),  # none: the epoch
        "click_created_at": _moments(seconds("click_unix_timestamp")),
        "status": pc.fill_null(text("status"), "pending"),
        "payout_cents": _cents(column("payout", "number")),
        "sale_amount_cents": _cents(column("sale_amount", "number")),
        "currency": _each_distinct(pc.fill_null(text("currency_id"), currency), lambda c: c.upper()[:3]),
        "event_name": pc.if_else(pc.fill_null(column("is_event", "flag"), False), text("event"), None),
        **{field: text(name) for field, name in _TEXT.items()},
        "offer_id": offer_id,
        "offer_name": pc.fill_null(text("offer_name"), named),
        "offer_payout_type": _each_distinct(pc.fill_null(text("payout_type"), ""), mapping.payout_rule),
        "is_test": pc.fill_null(column("is_test", "flag"), False),
        "hold_until": _moments(np.where(unset, seconds("hold_until_unix_timestamp"), hold)),
    }
    return pd.DataFrame({name: _pandas(data[name]) for name in CONVERSION_FIELDS}, copy=False)


def _moments(seconds: np.ndarray, otherwise=np.datetime64("NaT", "s")) -> pd.Series:
    """Unix seconds → UTC datetimes, whole seconds rounded down; none, 0 and out of range → `otherwise`."""
    valid = (seconds > 0) & (seconds < _LAST_SECOND)  # NaN (none) is neither
    whole = np.where(valid, seconds, 0).astype(np.int64).astype("datetime64[s]")
    return pd.Series(pd.DatetimeIndex(np.where(valid, whole, otherwise), tz="UTC"))


def _each_distinct(values: pa.Array, change: Callable[[str], str]) -> pa.Array:
    """`change` applied in Python to each distinct text once (a column holds a handful: currencies, payout types)."""
    encoded = pc.dictionary_encode(values)
    changed = pa.array([change(v) for v in encoded.dictionary.to_pylist()], pa.large_string())
    return pc.take(changed, encoded.indices)


def _pandas(values) -> object:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        if pa.types.is_large_string(values.type):
            return pd.array(values, dtype="string")
        return values.to_numpy(zero_copy_only=False)
    return values


def _cents(amounts: pa.Array) -> np.ndarray:
    """Major units → minor units, as mapping.cents: none is 0; an amount with at most two decimals exact by
    arithmetic, any other one by mapping.cents itself (half up, from its decimal text)."""
    values = pc.fill_null(pc.cast(amounts, pa.float64(), safe=False), 0.0).to_numpy(zero_copy_only=False)
    values = np.where(np.isfinite(values), values, 0.0)  # as mapping.cents: what is no amount is 0
    if np.any(np.abs(values) >= 10.0 ** mapping.MAX_MAJOR_DIGITS):
        raise ValueError("amount out of range")
    scaled = values * 100
    nearest = np.round(scaled)
    exact = np.abs(scaled - nearest) < 1e-6
    found = np.where(exact, nearest, 0).astype(np.int64)
    for i in np.flatnonzero(~exact):
        found[i] = mapping.cents(float(values[i]))
    return found
