"""Clicks and conversions: what partners' reports are made of."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import BigId, UTCDateTime, utcnow

CONVERSION_STATUSES = ("approved", "pending", "rejected", "on_hold")


class SubIds:
    """The partner's own tracking values, passed on the click and copied onto its conversions."""

    sub1: Mapped[str | None] = mapped_column(String(500))
    sub2: Mapped[str | None] = mapped_column(String(500))
    sub3: Mapped[str | None] = mapped_column(String(500))
    sub4: Mapped[str | None] = mapped_column(String(500))
    sub5: Mapped[str | None] = mapped_column(String(500))
    source_id: Mapped[str | None] = mapped_column(String(500))


class Click(SubIds, db.Model):
    __tablename__ = "clicks"
    __table_args__ = (
        Index("ix_clicks_partner_created", "partner_id", "created_at"),
        Index("ix_clicks_uninvoiced_earnings", "partner_id", "created_at",
              postgresql_where=text("payout_cents > 0 AND invoice_id IS NULL"),
              sqlite_where=text("payout_cents > 0 AND invoice_id IS NULL")),
        Index("ix_clicks_invoice_id", "invoice_id", postgresql_where=text("invoice_id IS NOT NULL"),
              sqlite_where=text("invoice_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transaction_id: Mapped[str] = mapped_column(String(64), unique=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    referer: Mapped[str | None] = mapped_column(String(1000))
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    device: Mapped[str | None] = mapped_column(String(20))
    browser: Mapped[str | None] = mapped_column(String(40))
    platform: Mapped[str | None] = mapped_column(String(40))  # the operating system
    offer_url_id: Mapped[int] = mapped_column(Integer, default=0)  # the landing page (0: the offer's default)
    creative_id: Mapped[int | None] = mapped_column(Integer)
    is_unique: Mapped[bool] = mapped_column(Boolean, default=True)
    # Why the click was not sent to the offer (None: it was): Everflow's error_code and message.
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(String(200))
    # The traffic control that blocked the click (its error_code is then TRAFFIC_CONTROL), else None.
    traffic_control_id: Mapped[int | None] = mapped_column(Integer)
    # What the click earned, fixed when it was taken (a unique valid click on a CPC rule: its CPC; else 0), so
    # that a later change of the offer's or the partner's payout never rewrites past earnings.
    payout_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The invoice carrying what the click earned (None: not invoiced, or it earned nothing); no foreign key,
    # so that the tracker's insert stays light. Claimed by the invoice run as conversions are.
    invoice_id: Mapped[int | None] = mapped_column(Integer)
    # A click that earned: its offer's currency when it was taken (None for a click that earned nothing).
    currency: Mapped[str | None] = mapped_column(String(3))


class Impression(SubIds, db.Model):
    """One view of a partner's creative or banner, recorded by the impression URL."""

    __tablename__ = "impressions"
    __table_args__ = (Index("ix_impressions_partner_created", "partner_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    offer_url_id: Mapped[int] = mapped_column(Integer, default=0)
    creative_id: Mapped[int | None] = mapped_column(Integer)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    referer: Mapped[str | None] = mapped_column(String(1000))
    country: Mapped[str | None] = mapped_column(String(2))
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conversion(SubIds, db.Model):
    __tablename__ = "conversions"
    __table_args__ = (
        Index("ix_conversions_partner_created", "partner_id", "created_at"),
        # A partner's transaction ids: the exact filter, and the pages' search by an id's start (LIKE 'abc%'),
        # which PostgreSQL serves from an index only in pattern order.
        Index("ix_conversions_partner_transaction", "partner_id", "transaction_id",
              postgresql_ops={"transaction_id": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversion_id: Mapped[str] = mapped_column(String(32), unique=True)  # public id, hex
    transaction_id: Mapped[str | None] = mapped_column(String(64), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    event_name: Mapped[str | None] = mapped_column(String(100))  # None: the base conversion
    status: Mapped[str] = mapped_column(String(20), default="pending")
    payout_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # the partner's earnings
    network_revenue_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # never shown to partners
    sale_amount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    order_id: Mapped[str | None] = mapped_column(String(100))
    coupon_code: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    device: Mapped[str | None] = mapped_column(String(20))
    browser: Mapped[str | None] = mapped_column(String(40))
    platform: Mapped[str | None] = mapped_column(String(40))
    ip: Mapped[str | None] = mapped_column(String(45))
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # end of the holding period
    # What makes an intake idempotent: the same key again is the same conversion (see services.intake).
    intake_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    click_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When staff or the on-hold release last changed the status (None: never since it was recorded).
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The invoice that carries it (models.billing); set once by the invoice run, cleared only by a void.
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
