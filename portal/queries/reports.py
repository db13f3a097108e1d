"""Grouped totals for one partner's report: from the hourly rollups where they can answer, else the raw rows.

The raw-row scan (from_raw) also serves the network's entity report (portal.queries.network_reports):
without a partner it totals every partner's rows, and "affiliate" (the partner id) is one more column.

Both paths return the same thing: {group key: totals in ROLLUP_METRICS order}, where a key holds the raw
value of each requested dimension in order and, for a time column, a UTC bucket number (hours, or quarter
hours for zones whose offset is not a whole hour) that the façade turns into local dates, weeks or months.

Impressions carry no device, browser, platform, coupon or event and no transaction id: a raw-row report
grouped or filtered by one of those counts no impressions (rather than lumping them all under "none").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, cast, func, null, select

from portal.extensions import db
from portal.models import ROLLUP_METRICS, Click, Conversion, Impression, Offer, ReportRollup
from portal.queries import click_payouts
from portal.queries.buckets import HOUR

COUNTED_STATUSES = ("approved", "pending")
QUARTER_HOUR = 900
ROLLUP_DIMENSIONS = {"offer", "sub1"}
ROLLUP_FILTERS = {"offer", "sub1"}
# Report column → attribute on clicks, on conversions and on impressions (None: that table has no such value).
_DIMENSIONS = {
    "affiliate": ("partner_id", "partner_id", "partner_id"), "offer": ("offer_id", "offer_id", "offer_id"), "country": ("country", "country", "country"),
    "sub1": ("sub1", "sub1", "sub1"), "sub2": ("sub2", "sub2", "sub2"), "sub3": ("sub3", "sub3", "sub3"),
    "sub4": ("sub4", "sub4", "sub4"), "sub5": ("sub5", "sub5", "sub5"),
    "source_id": ("source_id", "source_id", "source_id"), "device_type": ("device", "device", None),
    "browser": ("browser", "browser", None), "platform": ("platform", "platform", None),
    "coupon_code": (None, "coupon_code", None), "event_name": (None, "event_name", None),
}
# Filter → column on clicks / on conversions / on impressions; None: the filter does not narrow that table
# (a click has no status or event; conversion-only filters leave click and impression counts as they are).
_FILTER_COLUMNS = {
    "affiliate": ("partner_id", "partner_id", "partner_id"), "offer": ("offer_id", "offer_id", "offer_id"), "country": ("country", "country", "country"),
    "transaction_id": ("transaction_id", "transaction_id", None), "sub1": ("sub1", "sub1", "sub1"),
    "sub2": ("sub2", "sub2", "sub2"), "sub3": ("sub3", "sub3", "sub3"), "sub4": ("sub4", "sub4", "sub4"),
    "sub5": ("sub5", "sub5", "sub5"), "source_id": ("source_id", "source_id", "source_id"),
    "status": (None, "status", None), "event_name": (None, "event_name", None),
}
_NUMERIC = {"affiliate", "offer"}  # id columns: filter values are compared as integers
_METRIC = {name: i for i, name in enumerate(ROLLUP_METRICS)}

Totals = dict[tuple, list[int]]


def bucket_seconds(tz: ZoneInfo, start: datetime, end: datetime) -> int:
    """Hours when every offset the zone uses in the window is a whole hour, else quarter hours."""
    at, step = start, timedelta(days=7)
    while at <= end:
        offset = tz.utcoffset(at.replace(tzinfo=None))
        if offset is not None and offset.total_seconds() % HOUR:
            return QUARTER_HOUR
        at += step
    offset = tz.utcoffset(end.replace(tzinfo=None))
    return QUARTER_HOUR if offset is not None and offset.total_seconds() % HOUR else HOUR


def rollups_can_answer(columns: Sequence[str], filter_types: set[str], start: datetime, end: datetime,
                       bucket: int) -> bool:
    return (all(c in ROLLUP_DIMENSIONS or c in ("hour", "date", "week", "month", "year") for c in columns)
            and filter_types <= ROLLUP_FILTERS and bucket == HOUR
            and int(start.timestamp()) % HOUR == 0 and int(end.timestamp()) % HOUR == 0)


def from_rollups(partner_id: int, columns: Sequence[str], filters: dict[str, tuple[str, ...]], start: datetime,
                 end: datetime, include_test: bool, with_time: bool) -> Totals:
    r = ReportRollup
    keys = [r.offer_id if c == "offer" else r.sub1 for c in columns if c in ROLLUP_DIMENSIONS]
    if with_time:
        keys.append(r.hour)
    stmt = select(*keys, *[func.sum(getattr(r, m)) for m in ROLLUP_METRICS]).where(
        r.partner_id == partner_id, r.hour >= int(start.timestamp()) // HOUR, r.hour < int(end.timestamp()) // HOUR)
    if not include_test:
        stmt = stmt.where(r.is_test.is_(False))
    if filters.get("offer"):
        stmt = stmt.where(r.offer_id.in_([int(v) for v in filters["offer"]]))
    if filters.get("sub1"):
        stmt = stmt.where(r.sub1.in_(filters["sub1"]))
    if keys:
        stmt = stmt.group_by(*keys)
    width = len(keys)
    totals: Totals = {}
    for row in db.session.execute(stmt):
        if row[width] is None:  # an aggregate over no rows
            continue
        key = tuple(None if (v == "" and i < width - with_time) else v for i, v in enumerate(row[:width]))
        totals[key] = [int(v or 0) for v in row[width:]]
    return totals


def from_raw(partner_id: int | None, columns: Sequence[str], filters: dict[str, tuple[str, ...]], start: datetime,
             end: datetime, include_test: bool, bucket: int | None) -> Totals:
    """Three grouped scans, clicks, impressions (where they have the columns) and conversions, merged by key.

    partner_id None: every partner's rows (the network's report). The network's revenue is totalled as the
    rollups total it; a partner's report never shows it (the façade drops that figure)."""
    dialect = db.session.get_bind().dialect.name
    dims = [c for c in columns if c in _DIMENSIONS]
    totals: Totals = {}

    def grouped(model, side: int, aggregates):
        keys = [getattr(model, _DIMENSIONS[c][side]) if _DIMENSIONS[c][side] else null() for c in dims]
        if bucket:
            keys.append(_bucket_sql(model.created_at, dialect, bucket))
        conditions = [model.created_at >= start, model.created_at < end]
        if partner_id is not None:
            conditions.insert(0, model.partner_id == partner_id)
        if not include_test:
            conditions.append(model.is_test.is_(False))
        for kind, values in filters.items():
            column = _FILTER_COLUMNS[kind][side]
            if column is None:
                continue
            values = [int(v) for v in values] if kind in _NUMERIC else list(values)
            conditions.append(getattr(model, column).in_(values))
        real_keys = [k for k in keys if k is not None and not _is_null(k)]
        stmt = select(*[k.label(f"k{i}") for i, k in enumerate(keys)], *aggregates).select_from(
            model.__table__).where(and_(*conditions))
        if real_keys:
            stmt = stmt.group_by(*real_keys)
        return stmt, len(keys)

    def add(stmt, width: int, metrics: Sequence[str | None]) -> None:
        """Add each row's aggregates to the metrics named in the same order (None: not a metric); the
        first aggregate is the row count, 0 when there were no rows to group."""
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

    if all(_DIMENSIONS[c][2] for c in dims) and all(
            _FILTER_COLUMNS[kind][2] or not _FILTER_COLUMNS[kind][0] for kind in filters):
        add(*grouped(Impression, 2, [func.count()]), ("impressions",))

    counted = Conversion.status.in_(COUNTED_STATUSES)
    on_hold = Conversion.status == "on_hold"
    base, event = Conversion.event_name.is_(None), Conversion.event_name.is_not(None)
    conversion_stmt, width = grouped(Conversion, 1, [
        func.count(),
        func.sum(case((and_(counted, base), 1), else_=0)), func.sum(case((and_(counted, event), 1), else_=0)),
        func.sum(case((counted, Conversion.payout_cents), else_=0)), func.sum(case((on_hold, 1), else_=0)),
        func.sum(case((on_hold, Conversion.payout_cents), else_=0)),
        func.sum(case((counted, Conversion.network_revenue_cents), else_=0)),
    ])
    add(conversion_stmt, width, (None, "conversions", "events", "earnings_cents", "on_hold_conversions",
                                 "on_hold_earnings_cents", "network_revenue_cents"))
    return totals


def offer_names(offer_ids) -> dict[int, str]:
    ids = sorted({int(i) for i in offer_ids if i is not None})
    if not ids:
        return {}
    return dict(db.session.execute(select(Offer.id, Offer.name).where(Offer.id.in_(ids))).all())


def _bucket_sql(column, dialect: str, seconds: int):
    if dialect == "sqlite":
        return cast(func.strftime("%s", func.substr(column, 1, 19)), Integer) // seconds
    return cast(func.floor(func.extract("epoch", column) / seconds), Integer)


def _is_null(element) -> bool:
    return getattr(element, "__visit_name__", "") == "null"

