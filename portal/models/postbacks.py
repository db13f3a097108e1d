"""Partners' postbacks and the outbox that delivers them, which doubles as the delivery log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

# The vocabulary is the domain's (the partner-facing doors use it without the models); re-exported here.
from portal.domain.postbacks import DELIVERY_METHODS, POSTBACK_DELETED, POSTBACK_STATUSES, POSTBACK_TYPES  # noqa: F401
from portal.extensions import db
from portal.models.base import BigId, UTCDateTime, utcnow

# pending: due at next_attempt_at (a failed attempt that will be retried stays pending);
# delivered: a 2xx came back; dead: retries exhausted, or the postback was turned off or deleted.
DELIVERY_STATUSES = ("pending", "delivered", "dead")
# conversion: a new conversion or event; update: a status change sent to postbacks subscribed to
# updates; test: "Send test" with sample values.
DELIVERY_KINDS = ("conversion", "update", "test")
# delivered: 2xx; failed: any other answer or a network error; blocked: the destination was refused.
ATTEMPT_OUTCOMES = ("delivered", "failed", "blocked")


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
    # Partners may subscribe a postback to status changes (approved, rejected, on hold) of conversions.
    send_status_updates: Mapped[bool] = mapped_column(Boolean, default=False)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # start of the failure streak
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PostbackDelivery(db.Model):
    """The outbox row for one event × postback, and the head of its delivery log."""

    __tablename__ = "postback_deliveries"
    __table_args__ = (Index("ix_postback_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    postback_id: Mapped[int] = mapped_column(ForeignKey("postbacks.id"), index=True)
    conversion_id: Mapped[int | None] = mapped_column(ForeignKey("conversions.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)  # same id on every retry
    kind: Mapped[str] = mapped_column(String(20), default="conversion")
    # The macro values as they were when the event happened (JSON object of strings), so that every
    # retry sends the same URL.
    macro_values: Mapped[str] = mapped_column(Text, default="{}")
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_url: Mapped[str | None] = mapped_column(Text)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_response_excerpt: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(String(500))
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # lag = this − created_at
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A worker that claimed the row owns it until then; a worker that died lets it go when it passes.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostbackAttempt(db.Model):
    """One request made (or refused) for a delivery: the delivery log partners and staff read."""

    __tablename__ = "postback_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("postback_deliveries.id"), index=True)
    postback_id: Mapped[int] = mapped_column(ForeignKey("postbacks.id"), index=True)
    attempt_number: Mapped[int] = mapped_column(Integer)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)  # "Retry now" or "Send test"
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    url: Mapped[str] = mapped_column(Text)  # the rendered URL requested
    resolved_ip: Mapped[str | None] = mapped_column(String(45))
    outcome: Mapped[str] = mapped_column(String(20))
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    # timeout, blocked, dns, tls, connection, redirect, http (a non-2xx answer), invalid_url
    error_class: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(String(500))
    response_excerpt: Mapped[str | None] = mapped_column(Text)  # at most 2 KB, stored as received
