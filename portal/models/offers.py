"""Offers partners promote, with the payout rule that decides a partner's earnings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow

OFFER_STATUSES = ("active", "paused", "pending", "deleted")
OFFER_VISIBILITY = ("public", "require_approval", "private")
PAYOUT_TYPES = ("flat", "percent")  # flat: cents per conversion; percent: basis points of the sale


class Offer(db.Model):
    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)  # network_offer_id
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")
    visibility: Mapped[str] = mapped_column(String(20), default="public")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    payout_type: Mapped[str] = mapped_column(String(10), default="flat")
    # flat: minor units (cents) per conversion; percent: basis points (1/100 of a percent) of the sale
    payout_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # The network's own revenue per conversion (same units as payout_amount); never shown to partners.
    network_revenue_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    destination_url: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(100), default="")
    hold_days: Mapped[int] = mapped_column(Integer, default=0)
    # SHA-256 of this offer's conversion intake token (None: only the network-wide token works).
    intake_token_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def payout_for(self, sale_amount_cents: int) -> int:
        """The partner's earnings in minor units for one conversion of this offer."""
        if self.payout_type == "percent":
            return (sale_amount_cents * self.payout_amount) // 10_000
        return self.payout_amount
