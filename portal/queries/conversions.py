"""Conversion search for one partner: filters, search terms, on-hold lists, ordering, paging and export batches."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, Select, and_, func, select

from portal.domain.criteria import ConversionQuery
from portal.domain.records import ExportRows
from portal.extensions import db
from portal.models import Conversion, Offer

_c = Conversion
# In ConversionRecord field order (portal.domain.records.CONVERSION_FIELDS); never network revenue.
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
    if query.transaction_prefix:
        conditions.append(starts_with(_c.transaction_id, query.transaction_prefix))
    if query.on_hold_status is not None:
        # The on-hold list: conversions that entered a holding period, by where they are now.
        conditions.append(_c.hold_until.is_not(None))
        conditions.append(_c.status == query.on_hold_status if query.on_hold_status
                          else _c.status.in_(ON_HOLD_LIFECYCLE))
    return conditions


def starts_with(column, prefix: str):
    """`column LIKE 'prefix%'`, with the prefix's own %, _ and escape character escaped so that they match only
    themselves: anchored at the start, no function around the column, so that an index on the column can
    serve it (on PostgreSQL one with text_pattern_ops or in the C collation). SQLite's LIKE ignores ASCII
    case; the equality on the leading characters keeps the match case-sensitive on every database."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return and_(column.like(escaped + "%", escape="\\"), func.substr(column, 1, len(prefix)) == prefix)


def _base(partner_id: int, query: ConversionQuery) -> Select:
    return select(*COLUMNS).join(Offer, Offer.id == _c.offer_id).where(and_(*_conditions(partner_id, query)))


def _count_statement(partner_id: int, query: ConversionQuery) -> Select:
    stmt = select(func.count()).select_from(_c)
    if any(kind == "offer_name" for kind, _ in query.search_terms):
        stmt = stmt.join(Offer, Offer.id == _c.offer_id)
    return stmt.where(and_(*_conditions(partner_id, query)))


def count(partner_id: int, query: ConversionQuery) -> int:
    return int(db.session.scalar(_count_statement(partner_id, query)) or 0)


def _ordered(stmt: Select, query: ConversionQuery) -> Select:
    """The query's order (newest first by default), ties broken by id so that paging is stable."""
    order = _ORDER[query.order_field]
    primary = order.desc() if query.descending else order.asc()
    tiebreak = _c.id.desc() if query.descending else _c.id.asc()
    return stmt.order_by(primary, tiebreak)


def page(partner_id: int, query: ConversionQuery, offset: int, limit: int) -> list[tuple]:
    stmt = _ordered(_base(partner_id, query), query).offset(offset).limit(limit)
    return [tuple(row) for row in db.session.execute(stmt)]


def export(partner_id: int, query: ConversionQuery, batch_size: int) -> ExportRows:
    """Every matching row in the query's order, and their count, read from one snapshot of the database.

    The count and the rows come from one transaction on a connection of their own (REPEATABLE READ on
    PostgreSQL; one read transaction on SQLite), so conversions arriving or changing status during a
    long export cannot make the file's row count differ from the count: a difference is then a real
    failure, which the export turns into a visibly broken download. The count runs now; the rows
    stream when the batches are iterated, and the connection closes with the iterator.
    """
    connection = snapshot()
    try:
        total = int(connection.scalar(_count_statement(partner_id, query)) or 0)
    except BaseException:
        connection.close()
        raise
    return ExportRows(total, stream(connection, _ordered(_base(partner_id, query), query), batch_size))


def snapshot() -> Connection:
    """A connection of its own inside one read transaction: every statement on it sees the same database
    (REPEATABLE READ on PostgreSQL; one read transaction on SQLite). The caller closes it."""
    connection = db.engine.connect()
    try:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        elif connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")  # the driver would not start a transaction for reads
    except BaseException:
        connection.close()
        raise
    return connection


def stream(connection: Connection, stmt: Select, batch_size: int) -> Iterator[list[tuple]]:
    """The statement's rows a batch at a time; the connection closes with the iterator."""
    try:
        result = connection.execute(stmt.execution_options(yield_per=batch_size))
        for partition in result.partitions(batch_size):
            yield [tuple(row) for row in partition]
        result.close()
    finally:
        connection.close()  # ends the read transaction (rolled back: it wrote nothing)


def by_id(partner_id: int, conversion_id: str) -> tuple | None:
    stmt = select(*COLUMNS).join(Offer, Offer.id == _c.offer_id).where(
        _c.partner_id == partner_id, _c.conversion_id == conversion_id)
    row = db.session.execute(stmt).first()
    return tuple(row) if row else None
