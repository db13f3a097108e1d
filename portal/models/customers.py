"""The Network API's referral records (PartnerStack's customers and transactions); a transaction becomes a
conversion."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import BigId, UTCDateTime, utcnow


class Customer(db.Model):
    """A customer a partner referred, recorded by the network's back end (`cust_…`; PartnerStack's customers).

    `customer_key` is the network's own id for the customer, unique within its mode (test customers never
    block or reveal production ones); `key` is this portal's. A test pair makes test customers, and a test
    customer belongs to a test partner."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("test", "customer_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    customer_key: Mapped[str] = mapped_column(String(255))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    provider_key: Mapped[str | None] = mapped_column(String(255))
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    test: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partner: Mapped["Partner"] = relationship()  # noqa: F821


class Transaction(db.Model):
    """A customer's transaction, recorded by the network's back end; it becomes a Conversion of the
    customer's partner (which fires the partner's postbacks), and that conversion's payout is the reward.

    `key` is the caller's idempotency key (unique within a mode): the same key again is the same
    transaction. A test transaction's conversion is a test conversion that earns nothing."""

    __tablename__ = "transactions"
    __table_args__ = (UniqueConstraint("test", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    reward_key: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    conversion_id: Mapped[int] = mapped_column(BigId, ForeignKey("conversions.id"), unique=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    product_key: Mapped[str | None] = mapped_column(String(255))
    category_key: Mapped[str | None] = mapped_column(String(255))
    test: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    customer: Mapped["Customer"] = relationship()
    conversion: Mapped["Conversion"] = relationship()  # noqa: F821
