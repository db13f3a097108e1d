"""The Network API's reads of transactions and the rewards they produced; `test` (the mode) comes first."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Conversion, Customer, Transaction

# A reward's status from its conversion's (PartnerStack's words).
REWARD_STATUSES = {"approved": "approved", "pending": "pending", "on_hold": "hold", "rejected": "declined"}
# A transaction (and its reward) changes when its conversion's status does: staff decide, holds end.
UPDATED_AT = func.coalesce(Conversion.status_changed_at, Transaction.created_at)


def in_mode(test: bool) -> list:
    return [Transaction.test.is_(test)]


def _loaded(stmt):
    return stmt.options(selectinload(Transaction.customer).selectinload(Customer.partner),
                        selectinload(Transaction.conversion))


def transactions(test: bool, *, customer_key: str | None = None):
    """The select() of transactions a list shows, before paging (portal.api.network.paging.fetch)."""
    stmt = _loaded(select(Transaction).join(Transaction.conversion).where(*in_mode(test)))
    if customer_key is not None:
        stmt = stmt.where(Transaction.customer.has(Customer.key == customer_key))
    return stmt


def transaction(test: bool, key: str) -> Transaction | None:
    return db.session.scalar(_loaded(select(Transaction).where(Transaction.key == key, *in_mode(test))))


def rewards(test: bool, *, status: str | None = None):
    """Transactions that earned their partner something (test ones never do), as rewards, before paging."""
    stmt = _loaded(select(Transaction).join(Transaction.conversion).where(*in_mode(test),
                                                                          Conversion.payout_cents > 0))
    if status is not None:
        stmt = stmt.where(Conversion.status.in_([c for c, r in REWARD_STATUSES.items() if r == status]))
    return stmt
