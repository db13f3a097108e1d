"""Network-wide raw rows for the Everflow-style Network API: conversions and clicks of every partner.

The partner queries (portal.queries.conversions, .clicks) take a partner id first; these take none and
add the affiliate (partner) id, the offer's advertiser and the network's revenue to each row, which
only the network's own key may read. Columns are the partner queries' own, then the network's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select

from portal.domain.criteria import ConversionQuery, Filters
from portal.domain.records import ExportRows
from portal.extensions import db
from portal.models import Click, Conversion, Offer
from portal.queries import click_payouts
from portal.queries import clicks as partner_clicks
from portal.queries import conversions as partner_conversions

_c, _k = Conversion, Click
# ConversionRecord's fields, then the network's: affiliate id, network revenue, advertiser id.
CONVERSION_COLUMNS = (*partner_conversions.COLUMNS, _c.partner_id, _c.network_revenue_cents, Offer.advertiser_id)
CLICK_COLUMNS = (*partner_clicks.COLUMNS, _k.partner_id, Offer.advertiser_id)
_CONVERSION_FILTERS = {
    "offer": _c.offer_id, "status": _c.status, "country": _c.country, "transaction_id": _c.transaction_id,
    "sub1": _c.sub1, "sub2": _c.sub2, "sub3": _c.sub3, "sub4": _c.sub4, "sub5": _c.sub5,
    "source_id": _c.source_id, "event_name": _c.event_name, "affiliate": _c.partner_id,
    "advertiser": Offer.advertiser_id,
}
_CLICK_FILTERS = {
    "offer": _k.offer_id, "country": _k.country, "transaction_id": _k.transaction_id, "sub1": _k.sub1,
    "sub2": _k.sub2, "sub3": _k.sub3, "sub4": _k.sub4, "sub5": _k.sub5, "source_id": _k.source_id,
    "affiliate": _k.partner_id, "advertiser": Offer.advertiser_id,
}
_NUMERIC = {"offer", "affiliate", "advertiser"}
_SEARCH = {
    "conversion_id": _c.conversion_id, "transaction_id": _c.transaction_id, "order_id": _c.order_id,
    "coupon_code": _c.coupon_code, "sub1": _c.sub1, "sub2": _c.sub2, "sub3": _c.sub3, "sub4": _c.sub4,
    "sub5": _c.sub5, "source_id": _c.source_id, "offer_name": Offer.name,
}
_ORDER = {
    "conversion_unix_timestamp": _c.created_at, "revenue": _c.payout_cents, "sale_amount": _c.sale_amount_cents,
    "status": _c.status, "offer": Offer.name,
}


def _values(kind: str, values) -> list:
    return [int(v) for v in values] if kind in _NUMERIC else list(values)


def _conversion_conditions(query: ConversionQuery) -> list:
    window = query.window
    conditions = [_c.created_at >= window.start, _c.created_at < window.end]
    if not query.include_test:
        conditions.append(_c.is_test.is_(False))
    if not query.show_events:
        conditions.append(_c.event_name.is_(None))
    if not query.show_conversions:
        conditions.append(_c.event_name.is_not(None))
    for kind, values in query.filters.by_type:
        conditions.append(_CONVERSION_FILTERS[kind].in_(_values(kind, values)))
    for kind, text in query.search_terms:
        conditions.append(func.lower(_SEARCH[kind]).contains(text.lower(), autoescape=True))
    if query.transaction_prefix:
        conditions.append(partner_conversions.starts_with(_c.transaction_id, query.transaction_prefix))
    return conditions


def conversion_count(query: ConversionQuery) -> int:
    stmt = select(func.count()).select_from(_c).join(Offer, Offer.id == _c.offer_id)
    return int(db.session.scalar(stmt.where(and_(*_conversion_conditions(query)))) or 0)


def _conversions(query: ConversionQuery):
    order = _ORDER[query.order_field]
    return (select(*CONVERSION_COLUMNS).join(Offer, Offer.id == _c.offer_id)
            .where(and_(*_conversion_conditions(query)))
            .order_by(order.desc() if query.descending else order.asc(),
                      _c.id.desc() if query.descending else _c.id.asc()))


def conversion_page(query: ConversionQuery, offset: int, limit: int) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(_conversions(query).offset(offset).limit(limit))]


def conversion_export(query: ConversionQuery, batch_size: int) -> ExportRows:
    """Every matching conversion in the query's order and their count, from one snapshot of the database
    (as the partner's export, portal.queries.conversions.export): the count now, the rows as iterated."""
    connection = partner_conversions.snapshot()
    try:
        stmt = select(func.count()).select_from(_c).join(Offer, Offer.id == _c.offer_id)
        total = int(connection.scalar(stmt.where(and_(*_conversion_conditions(query)))) or 0)
    except BaseException:
        connection.close()
        raise
    return ExportRows(total, partner_conversions.stream(connection, _conversions(query), batch_size))


def conversion_by_id(conversion_id: str) -> tuple | None:
    stmt = select(*CONVERSION_COLUMNS).join(Offer, Offer.id == _c.offer_id).where(_c.conversion_id == conversion_id)
    row = db.session.execute(stmt).first()
    return tuple(row) if row else None


def newest_clicks(start: datetime, end: datetime, filters: Filters, include_test: bool, limit: int) -> list[tuple]:
    conditions = [_k.created_at >= start, _k.created_at < end]
    if not include_test:
        conditions.append(_k.is_test.is_(False))
    for kind, values in filters.by_type:
        if kind in _CLICK_FILTERS:
            conditions.append(_CLICK_FILTERS[kind].in_(_values(kind, values)))
    stmt = (click_payouts.with_payout_rules(select(*CLICK_COLUMNS).select_from(_k)).where(and_(*conditions))
            .order_by(_k.created_at.desc(), _k.id.desc()).limit(limit))
    return [tuple(row) for row in db.session.execute(stmt)]


def click_by_transaction_id(transaction_id: str) -> tuple | None:
    stmt = click_payouts.with_payout_rules(select(*CLICK_COLUMNS).select_from(_k)).where(
        _k.transaction_id == transaction_id)
    row = db.session.execute(stmt).first()
    return tuple(row) if row else None


def converted(transaction_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(transaction_ids), 500):
        found.update(db.session.scalars(select(_c.transaction_id).distinct().where(
            _c.transaction_id.in_(transaction_ids[i:i + 500]))))
    return found
