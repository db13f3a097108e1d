"""Conversion search for one partner: filters, search terms, on-hold lists, ordering, paging and export batches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy import Select, and_, func, select

from portal.extensions import db
from portal.models import Conversion, Offer

if TYPE_CHECKING:  # the criteria object comes from the façade; queries only read its fields
    from portal.affiliate.criteria import ConversionQuery

_c = Conversion
# In ConversionRecord field order (portal.affiliate.records.CONVERSION_FIELDS); never network revenue.
COLUMNS = (
    _c.conversion_id, _c.transaction_id, _c.created_at, _c.click_created_at, _c.status, _c.payout_cents,
    _c.sale_amount_cents, _c.currency, _c.event_name, _c.sub1, _c.sub2, _c.sub3, _c.sub4, _c.sub5, _c.source_id,
    _c.order_id, _c.coupon_code, _c.country, _c.device, _c.browser, _c.platform, _c.ip, _c.offer_id,
    Offer.name, Offer.payout_type, _c.is_test, _c.hold_until,
)
_FILTERS = {
    "offer": _c.offer_id, "status": _c.status, "country": _c.country, "transaction_id": _c.transaction_id,
    "sub1": _c.sub1, "sub2": _c.sub2, "sub3": _c.sub3, "sub4": _c.sub4, "sub5": _c.sub5,
    "source_id": _c.source_id, "event_name": _c.event_name,
}
_SEARCH = {
    "conversion_id": _c.conversion_id, "transaction_id": _c.transaction_id, "order_id": _c.order_id,
    "coupon_code": _c.coupon_code, "sub1": _c.sub1, "sub2": _c.sub2, "sub3": _c.sub3, "sub4": _c.sub4,
    "sub5": _c.sub5, "source_id": _c.source_id, "offer_name": Offer.name,
}
_ORDER = {
    "conversion_unix_timestamp": _c.created_at, "revenue": _c.payout_cents, "sale_amount": _c.sale_amount_cents,
    "status": _c.status, "offer": Offer.name,
}
ON_HOLD_LIFECYCLE = ("on_hold", "approved", "rejected")


def _conditions(partner_id: int, query: ConversionQuery) -> list:
    window = query.window
    conditions = [_c.partner_id == partner_id, _c.created_at >= window.start, _c.created_at < window.end]
    if not query.include_test:
        conditions.append(_c.is_test.is_(False))
    if not query.show_events:
        conditions.append(_c.event_name.is_(None))
    if not query.show_conversions:
        conditions.append(_c.event_name.is_not(None))
    for kind, values in query.filters.by_type:
        column = _FILTERS[kind]
        conditions.append(column.in_([int(v) for v in values] if kind == "offer" else list(values)))
    for kind, text in query.search_terms:
        conditions.append(func.lower(_SEARCH[kind]).contains(text.lower(), autoescape=True))
    if query.on_hold_status is not None:
        # The on-hold list: conversions that entered a holding period, by where they are now.
        conditions.append(_c.hold_until.is_not(None))
        conditions.append(_c.status == query.on_hold_status if query.on_hold_status
                          else _c.status.in_(ON_HOLD_LIFECYCLE))
    return conditions


def _base(partner_id: int, query: ConversionQuery) -> Select:
    return select(*COLUMNS).join(Offer, Offer.id == _c.offer_id).where(and_(*_conditions(partner_id, query)))


def count(partner_id: int, query: ConversionQuery) -> int:
    stmt = select(func.count()).select_from(_c)
    if any(kind == "offer_name" for kind, _ in query.search_terms):
        stmt = stmt.join(Offer, Offer.id == _c.offer_id)
    return int(db.session.scalar(stmt.where(and_(*_conditions(partner_id, query)))) or 0)


def page(partner_id: int, query: ConversionQuery, offset: int, limit: int) -> list[tuple]:
    order = _ORDER[query.order_field]
    primary = order.desc() if query.descending else order.asc()
    tiebreak = _c.id.desc() if query.descending else _c.id.asc()
    stmt = _base(partner_id, query).order_by(primary, tiebreak).offset(offset).limit(limit)
    return [tuple(row) for row in db.session.execute(stmt)]


def batches(partner_id: int, query: ConversionQuery, batch_size: int) -> Iterator[list[tuple]]:
    """Every matching row, oldest first, streamed from the database a batch at a time."""
    stmt = _base(partner_id, query).order_by(_c.created_at, _c.id).execution_options(yield_per=batch_size)
    result = db.session.execute(stmt)
    try:
        for partition in result.partitions(batch_size):
            yield [tuple(row) for row in partition]
    finally:
        result.close()


def by_id(partner_id: int, conversion_id: str) -> tuple | None:
    stmt = select(*COLUMNS).join(Offer, Offer.id == _c.offer_id).where(
        _c.partner_id == partner_id, _c.conversion_id == conversion_id)
    row = db.session.execute(stmt).first()
    return tuple(row) if row else None
