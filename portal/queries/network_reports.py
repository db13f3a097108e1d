"""Grouped totals of the whole network (every partner) for the Everflow-style Network API's entity report.

Like the partner report (portal.queries.reports) it answers from the hourly rollups when they can (columns
and filters among affiliate, offer, advertiser and sub1, whole-hour windows), else from the raw rows, and
returns {group key: totals in ROLLUP_METRICS order} with a UTC bucket number last for a time column. The
network's revenue (network_revenue_cents) is one of the totals. An advertiser is a property of an offer:
the queries group and filter by offer and the caller maps offers to advertisers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Integer, and_, case, cast, func, null, select

from portal.extensions import db
from portal.models import ROLLUP_METRICS, Click, Conversion, Impression, Offer, ReportRollup
from portal.queries import click_payouts
from portal.queries.buckets import HOUR
from portal.queries.reports import COUNTED_STATUSES

ROLLUP_DIMENSIONS = {"affiliate", "offer", "sub1"}
# Column → attribute on clicks, conversions, impressions (None: that table has no such value).
DIMENSIONS = {
    "affiliate": ("partner_id",) * 3, "offer": ("offer_id",) * 3, "country": ("country",) * 3,
    "sub1": ("sub1",) * 3, "sub2": ("sub2",) * 3, "sub3": ("sub3",) * 3, "sub4": ("sub4",) * 3,
    "sub5": ("sub5",) * 3, "source_id": ("source_id",) * 3, "device_type": ("device", "device", None),
    "browser": ("browser", "browser", None), "platform": ("platform", "platform", None),
    "coupon_code": (None, "coupon_code", None), "event_name": (None, "event_name", None),
}
FILTERS = {**{k: v for k, v in DIMENSIONS.items() if k not in ("device_type", "browser", "platform", "coupon_code")},
           "transaction_id": ("transaction_id", "transaction_id", None), "status": (None, "status", None)}
_NUMERIC = {"affiliate", "offer"}
_METRIC = {name: i for i, name in enumerate(ROLLUP_METRICS)}

Totals = dict[tuple, list[int]]


def rollups_can_answer(dims: Sequence[str], filter_types: set[str], start: datetime, end: datetime,
                       bucket: int) -> bool:
    return (set(dims) <= ROLLUP_DIMENSIONS and filter_types <= ROLLUP_DIMENSIONS and bucket == HOUR
            and int(start.timestamp()) % HOUR == 0 and int(end.timestamp()) % HOUR == 0)


def _in(kind: str, values):
    return [int(v) for v in values] if kind in _NUMERIC else list(values)


def from_rollups(dims: Sequence[str], filters: dict[str, tuple[str, ...]], start: datetime, end: datetime,
                 include_test: bool, with_time: bool) -> Totals:
    r = ReportRollup
    column = {"affiliate": r.partner_id, "offer": r.offer_id, "sub1": r.sub1}
    keys = [column[d] for d in dims]
    if with_time:
        keys.append(r.hour)
    # The affiliate filter first, as the partner report has it: the rollups' unique key starts with
    # partner_id, so one affiliate's report reads only that affiliate's hours (as fast as its own report).
    conditions = []
    if "affiliate" in filters:
        affiliates = _in("affiliate", filters["affiliate"])
        conditions.append(r.partner_id == affiliates[0] if len(affiliates) == 1 else r.partner_id.in_(affiliates))
    conditions += [r.hour >= int(start.timestamp()) // HOUR, r.hour < int(end.timestamp()) // HOUR]
    if not include_test:
        conditions.append(r.is_test.is_(False))
    for kind, values in filters.items():
        if kind != "affiliate":
            conditions.append(column[kind].in_(_in(kind, values)))
    stmt = select(*keys, *[func.sum(getattr(r, m)) for m in ROLLUP_METRICS]).where(*conditions)
    if keys:
        stmt = stmt.group_by(*keys)
    width, totals = len(keys), {}
    # Only sub1 stores "" for "none"; without it a row's key is its leading values as they come.
    blank = "sub1" in dims
    for row in db.session.execute(stmt):
        if row[width] is None:
            continue
        key = (tuple(None if (v == "" and i < len(dims)) else v for i, v in enumerate(row[:width])) if blank
               else tuple(row[:width]))
        totals[key] = [int(v or 0) for v in row[width:]]
    return totals


def from_raw(dims: Sequence[str], filters: dict[str, tuple[str, ...]], start: datetime, end: datetime,
             include_test: bool, bucket: int | None) -> Totals:
    """Grouped scans of clicks, impressions (where they have the columns) and conversions, merged by key."""
    dialect = db.session.get_bind().dialect.name
    totals: Totals = {}

    def grouped(model, side: int, aggregates):
        keys = [getattr(model, DIMENSIONS[d][side]) if DIMENSIONS[d][side] else null() for d in dims]
        if bucket:
            keys.append(_bucket_sql(model.created_at, dialect, bucket))
        conditions = [model.created_at >= start, model.created_at < end]
        if not include_test:
            conditions.append(model.is_test.is_(False))
        for kind, values in filters.items():
            name = FILTERS[kind][side]
            if name is not None:
                conditions.append(getattr(model, name).in_(_in(kind, values)))
        real = [k for k in keys if getattr(k, "__visit_name__", "") != "null"]
        stmt = select(*[k.label(f"k{i}") for i, k in enumerate(keys)], *aggregates).select_from(
            model.__table__).where(and_(*conditions))
        return (stmt.group_by(*real) if real else stmt), len(keys)

    def add(stmt, width: int, metrics: Sequence[str | None]) -> None:
        for row in db.session.execute(stmt):
            if not row[width]:
                continue
            slot = totals.setdefault(tuple(row[:width]), [0] * len(ROLLUP_METRICS))
            for metric, value in zip(metrics, row[width:]):
                if metric is not None:
                    slot[_METRIC[metric]] += int(value or 0)

    valid = click_payouts.valid()
    add(*grouped(Click, 0, [func.count(), func.sum(case((valid, 1), else_=0)),
                            func.sum(case((and_(valid, Click.is_unique), 1), else_=0)),
                            func.sum(Click.payout_cents), func.sum(case((valid, 0), else_=1))]),
        (None, "clicks", "unique_clicks", "earnings_cents", "invalid_clicks"))
    if all(DIMENSIONS[d][2] for d in dims) and all(FILTERS[k][2] or not FILTERS[k][0] for k in filters):
        add(*grouped(Impression, 2, [func.count()]), ("impressions",))
    counted, on_hold = Conversion.status.in_(COUNTED_STATUSES), Conversion.status == "on_hold"
    base, event = Conversion.event_name.is_(None), Conversion.event_name.is_not(None)
    add(*grouped(Conversion, 1, [
        func.count(), func.sum(case((and_(counted, base), 1), else_=0)),
        func.sum(case((and_(counted, event), 1), else_=0)), func.sum(case((counted, Conversion.payout_cents), else_=0)),
        func.sum(case((on_hold, 1), else_=0)), func.sum(case((on_hold, Conversion.payout_cents), else_=0)),
        func.sum(case((counted, Conversion.network_revenue_cents), else_=0)),
    ]), (None, "conversions", "events", "earnings_cents", "on_hold_conversions", "on_hold_earnings_cents",
         "network_revenue_cents"))
    return totals


def offers_of_advertisers(advertiser_ids) -> list[int]:
    ids = [int(i) for i in advertiser_ids]
    return list(db.session.scalars(select(Offer.id).where(Offer.advertiser_id.in_(ids))))


def advertiser_of_offers(offer_ids) -> dict[int, int | None]:
    ids = sorted({int(i) for i in offer_ids if i is not None})
    if not ids:
        return {}
    return dict(db.session.execute(select(Offer.id, Offer.advertiser_id).where(Offer.id.in_(ids))).all())


def names(model, ids) -> dict[int, str]:
    """id → name of partners, offers or advertisers."""
    wanted = sorted({int(i) for i in ids if i is not None})
    if not wanted:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(wanted))).all())



def _bucket_sql(column, dialect: str, seconds: int):
    """The UTC bucket number of a timestamp (as the partner report computes it)."""
    if dialect == "sqlite":
        return cast(func.strftime("%s", func.substr(column, 1, 19)), Integer) // seconds
    return cast(func.floor(func.extract("epoch", column) / seconds), Integer)
