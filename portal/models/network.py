"""The Network API's side of the model: key pairs (test and production), partner groups, customers, transactions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import BigId, UTCDateTime, utcnow

NETWORK_KEY_MODES = ("test", "production")


class NetworkApiKey(db.Model):
    """A key pair of the network's back end: the public key names it, the secret is kept only as a keyed hash.

    The pair's mode decides what it may touch (test pairs: test partnerships only); there is no switch."""

    __tablename__ = "network_api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(10))  # test | production
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped["StaffUser | None"] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    revoked_by: Mapped["StaffUser | None"] = relationship(foreign_keys=[revoked_by_id])  # noqa: F821


class PartnerGroup(db.Model):
    """A group partnerships are placed in (`grup_…`); exactly one is the default for new partnerships."""

    __tablename__ = "partner_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


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
