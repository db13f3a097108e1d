"""The upstream's streamed conversion export (reporting/conversions/export), read as it arrives.

The request asks for `json` (Everflow's format) and says in its Accept header that Apache Arrow's IPC
stream is preferred; the answer's Content-Type tells which came back.

* Arrow (this portal's own Network API): record batches of typed columns, read one at a time without
  parsing. Each batch is checked as a whole to be the partner's (every `network_affiliate_id` equal to
  the partner's; anything else fails the export) and mapped column by column to the partner's fields:
  a DataFrame with CONVERSION_FIELDS columns, the network's revenue, profit and advertiser left behind.
* JSON (Everflow): one array of conversion objects, decoded object by object (json's own C scanner over a
  sliding window of text), each checked and mapped (mapping.conversion_row) before it joins a batch.

Either way memory holds one network chunk and one batch, whatever the file's size. A body that breaks off,
or is not what its Content-Type says, fails the export; the row-count check behind it reports one that
ends short.
"""

from __future__ import annotations

import codecs
import io
import json
import logging
import re
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import requests

from portal.affiliate.upstream import mapping
from portal.domain.errors import UpstreamRefused, UpstreamUnavailable
from portal.domain.records import CONVERSION_FIELDS

log = logging.getLogger(__name__)

ROW_COUNT_HEADER = "X-Row-Count"  # sent by this portal's Network API; Everflow sends none
CHUNK_BYTES = 256 * 1024
MAX_OBJECT_CHARS = 4 * 1024 * 1024  # one conversion object never comes near this
UNREADABLE = "The network's tracking platform sent an export this portal cannot read"
FOREIGN = "The network's tracking platform answered with another affiliate's data; nothing is shown"
_SPACE = re.compile(r"[ \t\n\r]*")
ARROW_STREAM = "application/vnd.apache.arrow.stream"
ACCEPT = f"{ARROW_STREAM}, application/json;q=0.5"  # Arrow preferred; Everflow ignores it and sends JSON
_LAST_SECOND = 32_503_680_000  # year 3000, as mapping.instant
_TEXT = {"transaction_id": "transaction_id", "sub1": "sub1", "sub2": "sub2", "sub3": "sub3", "sub4": "sub4",
         "sub5": "sub5", "source_id": "source_id", "order_id": "order_id", "coupon_code": "coupon_code",
         "country": "country", "device": "device_type", "browser": "browser", "platform": "platform",
         "ip": "conversion_user_ip"}  # ConversionRecord field ← network export column ("" is none)


def row_count(response: requests.Response) -> int | None:
    """The export's own count of its rows, when the upstream sends one (a plain whole number)."""
    raw = response.headers.get(ROW_COUNT_HEADER, "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 15 else None


def json_objects(chunks: Iterable[bytes]) -> Iterator[dict]:
    """The objects of a JSON array of objects, decoded as the bytes arrive; UpstreamRefused for anything else."""
    decoder, utf8 = json.JSONDecoder(), codecs.getincrementaldecoder("utf-8")()
    text, pos = "", 0
    opened = closed = False
    item_due = first = True
    iterator, final = iter(chunks), False
    while not final:
        chunk = next(iterator, None)
        final = chunk is None
        try:
            text = text[pos:] + utf8.decode(chunk or b"", final=final)
        except UnicodeDecodeError:
            raise UpstreamRefused(UNREADABLE) from None
        pos = 0
        while True:
            pos = _SPACE.match(text, pos).end()
            if pos >= len(text):
                break
            if closed:
                raise UpstreamRefused(UNREADABLE)  # something after the array
            c = text[pos]
            if not opened:
                if c != "[":
                    raise UpstreamRefused(UNREADABLE)
                opened, pos = True, pos + 1
            elif item_due:
                if c == "]" and first:
                    closed, pos = True, pos + 1
                    continue
                if c != "{":
                    raise UpstreamRefused(UNREADABLE)
                try:
                    found, pos = decoder.raw_decode(text, pos)
                except json.JSONDecodeError:
                    if final or len(text) - pos > MAX_OBJECT_CHARS:
                        raise UpstreamRefused(UNREADABLE) from None
                    break  # the object goes on in the next chunk
                item_due = first = False
                yield found
            elif c == ",":
                item_due, pos = True, pos + 1
            elif c == "]":
                closed, pos = True, pos + 1
            else:
                raise UpstreamRefused(UNREADABLE)
    if not closed:
        raise UpstreamRefused(UNREADABLE)


def is_arrow(response: requests.Response) -> bool:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower() == ARROW_STREAM


def batches(response: requests.Response, affiliate_id: int, currency: str,
            batch_size: int) -> Iterator[list[tuple] | pd.DataFrame]:
    """The partner's conversions of a streamed export in batches (CONVERSION_FIELDS tuples from JSON, a
    DataFrame of those columns from Arrow); the response is closed when the iterator ends or is closed."""
    if is_arrow(response):
        return _arrow_batches(response, affiliate_id, currency)
    return _json_batches(response, affiliate_id, currency, batch_size)


class _Body(io.RawIOBase):
    """The response body as a file that Arrow's reader pulls from, a network chunk at a time."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._left = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            self._left = next(self._chunks, b"")
            if not self._left:
                return 0
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


def _arrow_batches(response: requests.Response, affiliate_id: int, currency: str) -> Iterator[pd.DataFrame]:
    try:
        reader = pa.ipc.open_stream(io.BufferedReader(_Body(response.iter_content(CHUNK_BYTES)), CHUNK_BYTES))
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            if batch.num_rows:
                yield partner_frame(batch, affiliate_id, currency)
    except requests.RequestException as err:  # the body broke off or stalled
        log.warning("upstream conversion export: %s while reading", type(err).__name__)
        raise UpstreamUnavailable(30) from None
    except (pa.ArrowException, OSError, ValueError, TypeError, KeyError, OverflowError) as err:
        # OSError: Arrow's reader of a stream that ends part-way (a connection that failed is caught above)
        log.error("upstream conversion export (Arrow) unreadable: %s", type(err).__name__)
        raise UpstreamRefused(UNREADABLE) from None
    finally:
        response.close()


def partner_frame(batch: pa.RecordBatch, affiliate_id: int, currency: str) -> pd.DataFrame:
    """One record batch of the network's conversion export → the partner's conversions, a DataFrame with
    CONVERSION_FIELDS columns (times as UTC datetimes, money in minor units), as mapping.conversion_row
    maps one JSON object. UpstreamRefused when any row is another affiliate's; KeyError, ValueError or an
    Arrow error when the batch lacks a column or holds what its column cannot be."""

    def column(name: str, kind: pa.DataType) -> pa.Array:
        return pc.cast(batch.column(name), kind)

    owner = column("network_affiliate_id", pa.int64()) if "network_affiliate_id" in batch.schema.names else None
    if owner is None or owner.null_count or not pc.all(pc.equal(owner, affiliate_id)).as_py():
        log.error("upstream: a conversion export held rows of another affiliate (or unreadable ones)")
        raise UpstreamRefused(FOREIGN)

    def text(name: str) -> pa.Array:
        values = column(name, pa.large_string())
        return pc.if_else(pc.equal(values, ""), None, values)

    def moment(name: str, otherwise=np.datetime64("NaT", "s")) -> pd.Series:
        seconds = column(name, pa.float64()).to_numpy(zero_copy_only=False)
        valid = (seconds > 0) & (seconds < _LAST_SECOND)  # NaN (none) is neither
        whole = np.where(valid, seconds, 0).astype(np.int64).astype("datetime64[s]")
        return pd.Series(pd.DatetimeIndex(np.where(valid, whole, otherwise), tz="UTC"))

    offer_id = column("network_offer_id", pa.int64())
    limit = 10 ** mapping.MAX_ID_DIGITS  # as mapping._int: a longer id is none
    offer_id = pc.if_else(pc.and_(pc.greater(offer_id, -limit), pc.less(offer_id, limit)), offer_id, 0)
    offer_id = pc.fill_null(offer_id, 0)
    named = pc.binary_join_element_wise(pa.scalar("Offer ", pa.large_string()), pc.cast(offer_id, pa.large_string()),
                                        pa.scalar("", pa.large_string()))
    offer_name = pc.fill_null(text("offer_name"), named)
    event = text("event")
    currency_id = pc.utf8_slice_codeunits(pc.utf8_upper(pc.fill_null(text("currency_id"), currency)), 0, 3)
    rule = pd.Series(pc.utf8_lower(pc.fill_null(column("payout_type", pa.large_string()), "")).to_pandas())
    data = {
        "conversion_id": pc.fill_null(column("conversion_id", pa.large_string()), ""),
        "created_at": moment("conversion_unix_timestamp", np.datetime64(0, "s")),  # none: the epoch, as JSON
        "click_created_at": moment("click_unix_timestamp"),
        "status": pc.fill_null(text("status"), "pending"),
        "payout_cents": _cents(column("payout", pa.float64())),
        "sale_amount_cents": _cents(column("sale_amount", pa.float64())),
        "currency": currency_id,
        "event_name": pc.if_else(pc.fill_null(column("is_event", pa.bool_()), False), event, None),
        **{field: text(name) for field, name in _TEXT.items()},
        "offer_id": offer_id,
        "offer_name": offer_name,
        "offer_payout_type": rule.map(mapping.PAYOUT_TYPES).fillna("flat").to_numpy(dtype=object),
        "is_test": pc.fill_null(column("is_test", pa.bool_()), False),
        "hold_until": moment("holding_period_end"),
    }
    return pd.DataFrame({name: _pandas(data[name]) for name in CONVERSION_FIELDS}, copy=False)


def _pandas(values) -> object:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        if pa.types.is_large_string(values.type):
            return pd.array(values, dtype="string")
        return values.to_numpy(zero_copy_only=False)
    return values


def _cents(amounts: pa.Array) -> np.ndarray:
    """Major units → minor units, as mapping.cents: none is 0; an amount with at most two decimals exact by
    arithmetic, any other one by mapping.cents itself (half up, from its decimal text)."""
    values = pc.fill_null(amounts, 0.0).to_numpy(zero_copy_only=False)
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


def _json_batches(response: requests.Response, affiliate_id: int, currency: str,
                  batch_size: int) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    try:
        for found in json_objects(response.iter_content(CHUNK_BYTES)):
            if not mapping.belongs(found, affiliate_id):
                log.error("upstream: a conversion export held rows of another affiliate (or unreadable ones)")
                raise UpstreamRefused(FOREIGN)
            batch.append(mapping.conversion_row(found, currency))
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch
    except requests.RequestException as err:  # the body broke off or stalled
        log.warning("upstream conversion export: %s while reading", type(err).__name__)
        raise UpstreamUnavailable(30) from None
    finally:
        response.close()
