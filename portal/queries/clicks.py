"""Raw clicks of one partner: the newest first within a window, or one by its transaction id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select

from portal.extensions import db
from portal.models import Click, Conversion, Offer
from portal.queries import click_payouts

_k = Click
COLUMNS = (
    _k.transaction_id, _k.created_at, _k.is_unique, _k.is_test, _k.offer_id, Offer.name, _k.sub1, _k.sub2, _k.sub3,
    _k.sub4, _k.sub5, _k.source_id, _k.ip, _k.user_agent, _k.referer, _k.country, _k.device, _k.browser, _k.platform,
    _k.region, _k.city, _k.offer_url_id, _k.creative_id, _k.error_code, _k.error_message,
    click_payouts.payout_type(), _k.payout_cents,
)
_FILTERS = {
    "offer": _k.offer_id, "country": _k.country, "transaction_id": _k.transaction_id, "sub1": _k.sub1,
    "sub2": _k.sub2, "sub3": _k.sub3, "sub4": _k.sub4, "sub5": _k.sub5, "source_id": _k.source_id,
}  # status and event_name describe conversions; they do not narrow clicks


def newest(partner_id: int, start: datetime, end: datetime, filters, include_test: bool,
           limit: int) -> list[tuple]:
    conditions = [_k.partner_id == partner_id, _k.created_at >= start, _k.created_at < end]
    if not include_test:
        conditions.append(_k.is_test.is_(False))
    for kind, values in filters:
        if kind in _FILTERS:
            conditions.append(_FILTERS[kind].in_([int(v) for v in values] if kind == "offer" else list(values)))
    stmt = (click_payouts.with_payout_rules(select(*COLUMNS).select_from(_k)).where(and_(*conditions))
            .order_by(_k.created_at.desc(), _k.id.desc()).limit(limit))
    return [tuple(row) for row in db.session.execute(stmt)]


def by_transaction_id(partner_id: int, transaction_id: str) -> tuple | None:
    stmt = click_payouts.with_payout_rules(select(*COLUMNS).select_from(_k)).where(
        _k.partner_id == partner_id, _k.transaction_id == transaction_id)
    row = db.session.execute(stmt).first()
    return tuple(row) if row else None


def any_click(partner_id: int) -> bool:
    return db.session.scalar(select(_k.id).where(_k.partner_id == partner_id).limit(1)) is not None


def converted(partner_id: int, transaction_ids: list[str]) -> set[str]:
    """Which of these clicks have a conversion (of this partner)."""
    found: set[str] = set()
    for i in range(0, len(transaction_ids), 500):
        chunk = transaction_ids[i:i + 500]
        found.update(db.session.scalars(select(Conversion.transaction_id).distinct().where(
            Conversion.partner_id == partner_id, Conversion.transaction_id.in_(chunk))))
    return found
