"""How much of an offer's caps is used: valid clicks and counted conversions (Everflow's `total_click` and
conversions, test traffic left out) since the start of each cap's period in the network's timezone, read
from the hourly rollups. Daily starts at local midnight, weekly on Monday, monthly on the 1st; global counts
everything. Rollup hours are UTC hours, so in a timezone off the whole hour a period starts with the UTC
hour that holds its local start."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from portal.extensions import db
from portal.models import ReportRollup
from portal.queries.buckets import hour_number

METRICS = {"click": ReportRollup.clicks, "conversion": ReportRollup.conversions}


def period_start(period: str, now: datetime, timezone: ZoneInfo) -> datetime | None:
    """When a daily, weekly or monthly cap's period began (None for global: always)."""
    local = now.astimezone(timezone).replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    if period == "daily":
        return local
    if period == "weekly":
        return local - timedelta(days=local.weekday())
    if period == "monthly":
        return local.replace(day=1)
    return None


def used(offer_id: int, caps: tuple[tuple[str, str, int], ...], now: datetime, timezone: ZoneInfo) -> list[int]:
    """For each (period, kind, limit) of `caps`, what the offer has used of it so far (one query)."""
    sums = []
    for period, kind, _ in caps:
        start = period_start(period, now, timezone)
        metric = METRICS[kind]
        counted = metric if start is None else case((ReportRollup.hour >= hour_number(start), metric), else_=0)
        sums.append(func.coalesce(func.sum(counted), 0))
    row = db.session.execute(select(*sums).where(ReportRollup.offer_id == offer_id,
                                                 ReportRollup.is_test.is_(False))).one()
    return [int(value) for value in row]
