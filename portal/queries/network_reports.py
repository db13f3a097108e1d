"""Grouped totals of the whole network (every partner) for the Everflow-style Network API's entity report.

Like the partner report (portal.queries.reports) it answers from the hourly rollups when they can (columns
and filters among affiliate, offer, advertiser and sub1, whole-hour windows), else from the raw rows, and
returns {group key: totals in ROLLUP_METRICS order} with a UTC bucket number last for a time column. The
network's revenue (network_revenue_cents) is one of the totals. The raw rows are read by the partner report's
own scan without a partner (portal.queries.reports.from_raw(None, ...)). An advertiser is a property of an
offer: the queries group and filter by offer and the caller maps offers to advertisers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ROLLUP_METRICS, Offer, ReportRollup
from portal.queries.buckets import HOUR

ROLLUP_DIMENSIONS = {"affiliate", "offer", "sub1"}
_NUMERIC = {"affiliate", "offer"}

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

