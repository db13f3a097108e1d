"""Partners' postbacks and the outbox that delivers them, which doubles as the delivery log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import BigId, UTCDateTime, utcnow

POSTBACK_TYPES = ("conversion", "event")
DELIVERY_METHODS = ("postback", "html")
POSTBACK_STATUSES = ("active", "inactive")
DELIVERY_STATUSES = ("pending", "delivered", "failed", "dead")


class Postback(db.Model):
    __tablename__ = "postbacks"

    id: Mapped[int] = mapped_column(primary_key=True)  # network_pixel_id
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))  # None: all offers
    postback_type: Mapped[str] = mapped_column(String(20), default="conversion")
    event_name: Mapped[str | None] = mapped_column(String(100))
    delivery_method: Mapped[str] = mapped_column(String(20), default="postback")
    url: Mapped[str | None] = mapped_column(Text)
    html_code: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active")
    delay_ms: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(500), default="")
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PostbackDelivery(db.Model):
    __tablename__ = "postback_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    postback_id: Mapped[int] = mapped_column(ForeignKey("postbacks.id"), index=True)
    conversion_id: Mapped[int | None] = mapped_column(ForeignKey("conversions.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)  # same id on every retry
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_url: Mapped[str | None] = mapped_column(Text)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_response_excerpt: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
