"""Conversion export batches → DataFrames with declared columns: local times, Unix timestamps, decimal money."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from portal.domain.records import CONVERSION_FIELDS

SUB_FIELDS = ("sub1", "sub2", "sub3", "sub4", "sub5", "source_id")
_TEXT_FIELDS = ("order_id", "coupon_code", "country", "device", "browser", "platform")

# The columns of a conversions export, in order, with their pandas dtypes. Times appear twice: as local
# wall-clock text in the request's timezone ('YYYY-MM-DD HH:MM:SS') and as a Unix timestamp. Money is in
# major units (cents / 100: the nearest double, which CSV and JSON print as the exact decimal).
# The network's own revenue is not among them (nor in the batches).
CONVERSION_COLUMNS: dict[str, str] = {
    "conversion_id": "string",
    "transaction_id": "string",
    "conversion_time": "string",
    "conversion_unix_timestamp": "int64",
    "click_time": "string",
    "click_unix_timestamp": "Int64",
    "status": "string",
    "event_name": "string",
    "offer_id": "int64",
    "offer_name": "string",
    "payout": "float64",
    "sale_amount": "float64",
    "currency": "string",
    **{name: "string" for name in (*SUB_FIELDS, *_TEXT_FIELDS)},
    "is_test": "bool",
    "hold_until": "string",
    "hold_until_unix_timestamp": "Int64",
}

_AT = {name: i for i, name in enumerate(CONVERSION_FIELDS)}
_COPIED_TEXT = ("conversion_id", "transaction_id", "status", "event_name", "offer_name", "currency",
                *SUB_FIELDS, *_TEXT_FIELDS)
_TIMES = (("created_at", "conversion_time", "conversion_unix_timestamp"),
          ("click_created_at", "click_time", "click_unix_timestamp"),
          ("hold_until", "hold_until", "hold_until_unix_timestamp"))
_UNITS_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
_T_POSITION = 10  # 'YYYY-MM-DDTHH:MM:SS'[10]


def conversion_frames(batches: Iterable[Sequence[tuple] | pd.DataFrame], timezone: str) -> Iterator[pd.DataFrame]:
    """One DataFrame per batch of CONVERSION_FIELDS tuples (or a DataFrame of those columns); an empty frame
    when there are no rows at all (so that a CSV still gets its header)."""
    produced = False
    for batch in batches:
        if not len(batch):
            continue
        produced = True
        frame = conversion_frame(batch, timezone)
        del batch  # the row tuples can go now, before the frame is written out
        yield frame
    if not produced:
        yield empty_conversion_frame()


def empty_conversion_frame() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in CONVERSION_COLUMNS.items()})


def conversion_frame(batch: Sequence[tuple] | pd.DataFrame, timezone: str) -> pd.DataFrame:
    """One batch of CONVERSION_FIELDS rows (UTC datetimes, money in cents) → the export's columns. The batch is
    tuples, or a DataFrame with those columns (read column by column, as they are)."""
    if isinstance(batch, pd.DataFrame):
        def column(name: str):
            return batch[name].array
    else:
        cells = np.empty((len(batch), len(CONVERSION_FIELDS)), dtype=object)
        cells[:] = batch  # one C-level pass; np.array(batch) would look inside the values for nested sequences

        def column(name: str):
            return cells[:, _AT[name]]

    data: dict[str, object] = {name: pd.array(column(name), dtype="string") for name in _COPIED_TEXT}
    for field, local_column, timestamp_column in _TIMES:
        data[local_column], data[timestamp_column] = _local_time_and_timestamp(column(field), timezone)
    data["conversion_unix_timestamp"] = data["conversion_unix_timestamp"].astype("int64")  # never missing
    data["offer_id"] = column("offer_id").astype(np.int64)
    data["payout"] = column("payout_cents").astype(np.int64) / 100
    data["sale_amount"] = column("sale_amount_cents").astype(np.int64) / 100
    data["is_test"] = column("is_test").astype(bool)
    return pd.DataFrame({name: data[name] for name in CONVERSION_COLUMNS}, copy=False)


def _local_time_and_timestamp(values: np.ndarray, timezone: str) -> tuple[pd.api.extensions.ExtensionArray, ...]:
    """UTC datetimes (aware, or naive meaning UTC; None for none) → local 'YYYY-MM-DD HH:MM:SS' text and
    Unix seconds, vectorised. Whole seconds, rounded down, in both: they always name the same second."""
    moments = pd.DatetimeIndex(pd.to_datetime(values, utc=True))
    missing = np.asarray(moments.isna())
    ticks = np.where(missing, 0, moments.asi8 // _UNITS_PER_SECOND[moments.unit])
    seconds = pd.array(ticks, dtype="Int64")
    seconds[missing] = pd.NA
    if missing.all():
        return pd.array([pd.NA] * len(values), dtype="string"), seconds
    utc = pd.DatetimeIndex(ticks.astype("datetime64[s]"), tz="UTC")
    wall = utc.tz_convert(timezone).tz_localize(None).to_numpy()
    text = np.datetime_as_string(wall, unit="s")  # 'YYYY-MM-DDTHH:MM:SS', in C
    text.view(np.uint32).reshape(len(text), -1)[:, _T_POSITION] = ord(" ")  # the T becomes a space
    local = pd.array(text, dtype="string")
    local[missing] = pd.NA
    return local, seconds
