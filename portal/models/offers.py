"""Offers partners promote: the payout rule, landing pages, who may run them, and what partners promote
them with (creatives, coupon codes, product feeds)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.domain.offers import OFFER_VISIBILITY  # noqa: F401  (the domain's vocabulary, re-exported)
from portal.extensions import db
from portal.models.base import BigId, UTCDateTime, utcnow

# Everflow's offer_status values, plus `expired` (past live_until, or set by staff).
OFFER_STATUSES = ("active", "paused", "expired", "pending", "deleted")
# flat: cents per conversion; percent: basis points of the sale; cpc: cents per unique click
PAYOUT_TYPES = ("flat", "percent", "cpc")
# Everflow's caps, by period and what they count; 0 means no cap.
CAP_PERIODS = ("daily", "weekly", "monthly", "global")
CAP_KINDS = ("conversion", "click")
# An application or grant: pending (applied), approved (runnable), rejected (applied, refused),
# blocked (staff took a public offer away from this partner), default: neither grants nor blocks (a row that
# only holds a payout override; the partner stands as with no row at all).
ACCESS_STATUSES = ("pending", "approved", "rejected", "blocked", "default")
CREATIVE_TYPES = ("image", "html", "text", "email")
CREATIVE_STATUSES = ("active", "paused")
COUPON_STATUSES = ("active", "paused")
FEED_STATUSES = ("active", "paused")


class Advertiser(db.Model):
    """A brand whose offers the network runs (Everflow's network_advertiser_id); never shown to partners."""

    __tablename__ = "advertisers"

    id: Mapped[int] = mapped_column(primary_key=True)  # network_advertiser_id
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Offer(db.Model):
    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)  # network_offer_id
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")
    visibility: Mapped[str] = mapped_column(String(20), default="public")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    payout_type: Mapped[str] = mapped_column(String(10), default="flat")
    # flat and cpc: minor units (cents) per conversion or click; percent: basis points (1/100 %) of the sale
    payout_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # The network's own revenue per conversion (same units as payout_amount); never shown to partners.
    network_revenue_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    advertiser_id: Mapped[int | None] = mapped_column(ForeignKey("advertisers.id"), index=True)
    destination_url: Mapped[str] = mapped_column(Text)  # url_id 0: the default landing page, with macros
    # Sanitised HTML (portal.services.offer_content): stored clean, rendered as is.
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(100), default="")
    preview_url: Mapped[str] = mapped_column(String(2000), default="")
    restrictions: Mapped[str] = mapped_column(Text, default="")  # plain text: allowed traffic, terms
    thumbnail_key: Mapped[str | None] = mapped_column(String(200))  # a file in storage
    # ISO 3166-1 alpha-2 codes whose clicks the offer takes; empty: every country.
    allowed_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A partner may send `url=` on the tracking link to land on another page of the offer's site.
    deep_links_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where a click goes when the offer cannot take it (paused, expired, not runnable, capped, country);
    # empty: the network's fallback.
    fallback_url: Mapped[str] = mapped_column(String(2000), default="")
    live_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # after this, the offer is expired
    daily_conversion_cap: Mapped[int] = mapped_column(Integer, default=0)
    weekly_conversion_cap: Mapped[int] = mapped_column(Integer, default=0)
    monthly_conversion_cap: Mapped[int] = mapped_column(Integer, default=0)
    global_conversion_cap: Mapped[int] = mapped_column(Integer, default=0)
    daily_click_cap: Mapped[int] = mapped_column(Integer, default=0)
    weekly_click_cap: Mapped[int] = mapped_column(Integer, default=0)
    monthly_click_cap: Mapped[int] = mapped_column(Integer, default=0)
    global_click_cap: Mapped[int] = mapped_column(Integer, default=0)
    hold_days: Mapped[int] = mapped_column(Integer, default=0)
    # SHA-256 of this offer's conversion intake token (None: only the network-wide token works).
    intake_token_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def payout_for(self, sale_amount_cents: int) -> int:
        """The partner's earnings in minor units for one conversion of this offer."""
        return payout_for(self.payout_type, self.payout_amount, sale_amount_cents)


def payout_for(payout_type: str, payout_amount: int, sale_amount_cents: int) -> int:
    """Earnings in minor units for one conversion under a payout rule (a CPC offer pays per click)."""
    if payout_type == "percent":
        return (sale_amount_cents * payout_amount) // 10_000
    if payout_type == "cpc":
        return 0
    return payout_amount


def partner_payout(offer: Offer, access: OfferAccess | None) -> tuple[str, int]:
    """The payout rule (type, amount) one partner is paid on an offer: its override when staff set one."""
    if access is not None and access.payout_type is not None and access.payout_amount is not None:
        return access.payout_type, access.payout_amount
    return offer.payout_type, offer.payout_amount


class OfferUrl(db.Model):
    """An extra landing page of an offer (`url_id` ≥ 1; `url_id` 0 is the offer's destination_url)."""

    __tablename__ = "offer_urls"

    id: Mapped[int] = mapped_column(primary_key=True)  # network_offer_url_id
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    destination_url: Mapped[str] = mapped_column(Text)
    preview_url: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | paused
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfferAccess(db.Model):
    """One partner's standing on one offer: an application, a grant, a block, and a payout override."""

    __tablename__ = "offer_access"
    __table_args__ = (UniqueConstraint("partner_id", "offer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    application_note: Mapped[str] = mapped_column(Text, default="")  # the partner's note when applying
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")  # shown to the partner
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # This partner's payout on the offer instead of the offer's (both None: the offer's own).
    payout_type: Mapped[str | None] = mapped_column(String(10))
    payout_amount: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Creative(db.Model):
    """What a partner promotes an offer with: a banner (a stored file), HTML, a text link or an email."""

    __tablename__ = "creatives"

    id: Mapped[int] = mapped_column(primary_key=True)  # network_offer_creative_id
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    creative_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="active")
    file_key: Mapped[str | None] = mapped_column(String(200))  # image creatives: the file in storage
    filename: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # html and email: sanitised HTML with {tracking_link}; text: the link text; email: subject and from line
    html_code: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    email_subject: Mapped[str] = mapped_column(String(300), default="")
    email_from: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CouponCode(db.Model):
    """A coupon code of an offer assigned to one partner: a sale with it credits that partner."""

    __tablename__ = "coupon_codes"
    __table_args__ = (UniqueConstraint("offer_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)  # network_coupon_code_id
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="active")
    description: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ProductFeed(db.Model):
    """A product feed of an offer: its metadata here, the file in storage."""

    __tablename__ = "product_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)  # network_advertiser_product_feed_id
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")
    file_key: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    file_size: Mapped[int] = mapped_column(BigInteger, default=0)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PartnerNotice(db.Model):
    """A message to a partner's users in the portal (an application decided, an offer granted)."""

    __tablename__ = "partner_notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # offer_approved, offer_rejected, offer_granted, …
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")  # plain text
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
