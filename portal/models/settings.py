"""Network-wide settings: one row, edited by staff with settings:manage."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

SETTINGS_ROW_ID = 1


class NetworkSettings(db.Model):
    __tablename__ = "network_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_name: Mapped[str] = mapped_column(String(200), default="Partner Network")
    logo_url: Mapped[str | None] = mapped_column(String(500))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    support_email: Mapped[str | None] = mapped_column(String(254))
    partner_postbacks_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Staff who sign in with a password must turn on two-factor before any console page opens.
    staff_require_two_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    # SHA-256 of the network-wide conversion intake token (None: only per-offer tokens work).
    intake_token_hash: Mapped[str | None] = mapped_column(String(64))
    # The offer a Network API transaction is recorded on when it names no product_key (None: it must).
    network_api_offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    # Where a click goes when its offer cannot take it and the offer names no fallback ("": a portal page).
    tracking_fallback_url: Mapped[str] = mapped_column(String(2000), default="")
    # Billing: an invoice is due this many days after it is issued (net terms), and a partner whose
    # period earns less than the threshold in a currency (minor units of that currency) is not invoiced in it yet.
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    minimum_payout_cents: Mapped[int] = mapped_column(BigInteger, default=0)
