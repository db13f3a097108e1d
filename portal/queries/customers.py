"""The Network API's reads of customers; `test` (the key pair's mode) always comes first."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Customer, Partner


def in_mode(test: bool) -> list:
    return [Customer.test.is_(test)]


def customers(test: bool, *, include_archived: bool = False, partner_key: str | None = None,
              email: str | None = None, customer_key: str | None = None):
    """The select() of customers a list shows, before paging (portal.api.network.paging.fetch)."""
    stmt = select(Customer).where(*in_mode(test)).options(selectinload(Customer.partner))
    if not include_archived:
        stmt = stmt.where(Customer.archived_at.is_(None))
    if partner_key is not None:
        stmt = stmt.where(Customer.partner.has(Partner.partner_key == partner_key))
    if email is not None:
        stmt = stmt.where(Customer.email == email)
    if customer_key is not None:
        stmt = stmt.where(Customer.customer_key == customer_key)
    return stmt


def customer(test: bool, key: str) -> Customer | None:
    """One customer by its `cust_…` key, archived ones included."""
    return db.session.scalar(select(Customer).where(Customer.key == key, *in_mode(test)))


def counts(partner_ids: list[int]) -> dict[int, int]:
    """Customers (not archived) per partner, for the partnerships' CUSTOMER_COUNT."""
    if not partner_ids:
        return {}
    rows = db.session.execute(select(Customer.partner_id, func.count()).where(
        Customer.partner_id.in_(partner_ids), Customer.archived_at.is_(None)).group_by(Customer.partner_id))
    return dict(rows.all())
