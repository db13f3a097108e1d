"""Network conversion export batches → DataFrames in Everflow's network field names (both sides of the money).

A row is a network conversion search row flattened: the partner's conversion fields (CONVERSION_FIELDS),
then the affiliate id, the network's revenue in cents and the advertiser id. Times are Unix seconds, money
in currency units, missing text "" (as the JSON search answers them); `holding_period_end` is empty when
the conversion has none. `columns` picks a subset, by column name or by Everflow's entity name (`offer`,
`affiliate`, `advertiser`), in the order asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from portal.domain.errors import BadRequest
from portal.domain.records import CONVERSION_FIELDS

_TEXT = {  # export column ← ConversionRecord field
    "conversion_id": "conversion_id", "transaction_id": "transaction_id", "status": "status",
    "currency_id": "currency", "event": "event_name", "sub1": "sub1", "sub2": "sub2", "sub3": "sub3",
    "sub4": "sub4", "sub5": "sub5", "source_id": "source_id", "order_id": "order_id",
    "coupon_code": "coupon_code", "country": "country", "device_type": "device", "platform": "platform",
    "browser": "browser", "conversion_user_ip": "ip", "offer_name": "offer_name",
}
NETWORK_CONVERSION_COLUMNS: dict[str, str] = {
    "conversion_id": "string", "network_affiliate_id": "int64", "network_offer_id": "int64",
    "offer_name": "string", "network_advertiser_id": "int64", "transaction_id": "string",
    "conversion_unix_timestamp": "int64", "click_unix_timestamp": "int64", "status": "string",
    "payout_type": "string", "payout": "float64", "revenue_type": "string", "revenue": "float64",
    "sale_amount": "float64", "currency_id": "string", "is_event": "bool", "event": "string",
    **{name: "string" for name in ("sub1", "sub2", "sub3", "sub4", "sub5", "source_id", "order_id", "coupon_code",
                                   "country", "device_type", "platform", "browser", "conversion_user_ip")},
    "is_test": "bool", "holding_period_end": "Int64",
}
ENTITY_COLUMNS = {"offer": ("network_offer_id", "offer_name"), "affiliate": ("network_affiliate_id",),
                  "advertiser": ("network_advertiser_id",)}
MAX_EXPORT_COLUMNS = 64
_PAYOUT_TYPES = {"flat": "cpa", "percent": "cps", "cpc": "cpc"}
_REVENUE_TYPES = {"flat": "rpa", "percent": "rps", "cpc": "rpc"}
_AT = {name: i for i, name in enumerate(CONVERSION_FIELDS)}
_WIDTH = len(CONVERSION_FIELDS)


def export_columns(raw) -> tuple[str, ...]:
    """The `columns` of an export body (absent: every column) → export column names; 400 for anything else."""
    if raw is None:
        return tuple(NETWORK_CONVERSION_COLUMNS)
    if not isinstance(raw, list) or not raw or len(raw) > MAX_EXPORT_COLUMNS:
        raise BadRequest("columns", f"must be a list of 1 to {MAX_EXPORT_COLUMNS} column names")
    chosen: list[str] = []
    for item in raw:
        name = item.get("column") if isinstance(item, dict) else item
        if not isinstance(name, str) or (name not in NETWORK_CONVERSION_COLUMNS and name not in ENTITY_COLUMNS):
            raise BadRequest("columns", "each must be a column of the export (conversion_id, payout, sub1, …) "
                             "or offer, affiliate, advertiser")
        for column in ENTITY_COLUMNS.get(name, (name,)):
            if column not in chosen:
                chosen.append(column)
    return tuple(chosen)


def _unix(values: np.ndarray) -> np.ndarray:
    """Datetimes (aware, or naive meaning UTC; None for none) → Unix seconds, 0 for none."""
    moments = pd.to_datetime(values, utc=True)
    missing = np.asarray(moments.isna())
    units = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[moments.unit]
    return np.where(missing, 0, moments.asi8 // units).astype(np.int64)


def network_conversion_frame(batch: Sequence[tuple], columns: Sequence[str]) -> pd.DataFrame:
    cells = np.empty((len(batch), _WIDTH + 3), dtype=object)
    cells[:] = batch

    def column(name: str) -> np.ndarray:
        return cells[:, _AT[name]]

    data: dict[str, object] = {}
    for name in columns:
        if name in _TEXT:
            values = column(_TEXT[name])
            data[name] = pd.array(np.where(pd.isna(values), "", values), dtype="string")
    payout_rules = column("offer_payout_type")
    data["network_affiliate_id"] = cells[:, _WIDTH].astype(np.int64)
    data["network_offer_id"] = column("offer_id").astype(np.int64)
    data["network_advertiser_id"] = np.where(pd.isna(cells[:, _WIDTH + 2]), 0, cells[:, _WIDTH + 2]).astype(np.int64)
    data["conversion_unix_timestamp"] = _unix(column("created_at"))
    data["click_unix_timestamp"] = _unix(column("click_created_at"))
    hold = _unix(column("hold_until"))
    data["holding_period_end"] = pd.array(np.where(hold == 0, None, hold), dtype="Int64")
    data["payout_type"] = pd.array([_PAYOUT_TYPES.get(r, "cpa") for r in payout_rules], dtype="string")
    data["revenue_type"] = pd.array([_REVENUE_TYPES.get(r, "rpa") for r in payout_rules], dtype="string")
    data["payout"] = column("payout_cents").astype(np.int64) / 100
    data["revenue"] = np.where(pd.isna(cells[:, _WIDTH + 1]), 0, cells[:, _WIDTH + 1]).astype(np.int64) / 100
    data["sale_amount"] = column("sale_amount_cents").astype(np.int64) / 100
    data["is_event"] = ~pd.isna(column("event_name")).astype(bool)
    data["is_test"] = column("is_test").astype(bool)
    return pd.DataFrame({name: data[name] for name in columns}, copy=False)


def network_conversion_frames(batches: Iterable[Sequence[tuple]], columns: Sequence[str]) -> Iterator[pd.DataFrame]:
    """One DataFrame per non-empty batch; an empty frame with the columns when there are no rows at all."""
    produced = False
    for batch in batches:
        if not batch:
            continue
        produced = True
        yield network_conversion_frame(batch, columns)
    if not produced:
        yield pd.DataFrame({name: pd.Series(dtype=NETWORK_CONVERSION_COLUMNS[name]) for name in columns})
