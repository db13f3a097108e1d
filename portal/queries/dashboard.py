"""Headline figures for one partner over a time window."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, select

from portal.extensions import db
from portal.models import Click, Conversion, Impression
from portal.queries import click_payouts

# Earnings, conversions and events count what the partner is, or may yet be, paid for.
COUNTED_STATUSES = ("approved", "pending")


def click_totals(partner_id: int, start: datetime, end: datetime, include_test: bool = False) -> tuple[int, int]:
    """(valid clicks, what they earned in cents): Everflow's `click` leaves invalid clicks out; CPC clicks earn."""
    stmt = select(func.sum(case((click_payouts.valid(), 1), else_=0)), func.sum(Click.payout_cents)).where(
        Click.partner_id == partner_id, Click.created_at >= start, Click.created_at < end)
    if not include_test:
        stmt = stmt.where(Click.is_test.is_(False))
    clicks, earnings = db.session.execute(stmt).one()
    return int(clicks or 0), int(earnings or 0)


def impression_count(partner_id: int, start: datetime, end: datetime, include_test: bool = False) -> int:
    stmt = select(func.count()).select_from(Impression).where(
        Impression.partner_id == partner_id, Impression.created_at >= start, Impression.created_at < end
    )
    if not include_test:
        stmt = stmt.where(Impression.is_test.is_(False))
    return db.session.scalar(stmt) or 0


def conversion_totals(partner_id: int, start: datetime, end: datetime,
                      include_test: bool = False) -> tuple[int, int, int]:
    """(conversions, events, earnings in cents) in counted statuses; earnings include events'."""
    stmt = select(
        func.sum(case((Conversion.event_name.is_(None), 1), else_=0)),
        func.sum(case((Conversion.event_name.is_not(None), 1), else_=0)),
        func.coalesce(func.sum(Conversion.payout_cents), 0),
    ).where(and_(
        Conversion.partner_id == partner_id,
        Conversion.created_at >= start,
        Conversion.created_at < end,
        Conversion.status.in_(COUNTED_STATUSES),
    ))
    if not include_test:
        stmt = stmt.where(Conversion.is_test.is_(False))
    conversions, events, earnings = db.session.execute(stmt).one()
    return int(conversions or 0), int(events or 0), int(earnings or 0)
