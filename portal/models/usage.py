"""How partner API keys are used: per-minute counts and the alerts raised on unusual use."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import BigId, UTCDateTime, utcnow

ALERT_KINDS = ("rate_limited", "off_hours", "new_endpoint")


class ApiUsage(db.Model):
    """Requests made with one key to one endpoint within one UTC minute."""

    __tablename__ = "api_usage"
    __table_args__ = (
        UniqueConstraint("api_key_id", "minute", "endpoint"),
        Index("ix_api_usage_minute", "minute"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    minute: Mapped[datetime] = mapped_column(UTCDateTime)
    endpoint: Mapped[str] = mapped_column(String(200))
    requests: Mapped[int] = mapped_column(Integer, default=0)
    client_errors: Mapped[int] = mapped_column(Integer, default=0)  # 4xx other than 429
    server_errors: Mapped[int] = mapped_column(Integer, default=0)
    rate_limited: Mapped[int] = mapped_column(Integer, default=0)  # 429s


class KeyAlert(db.Model):
    """Unusual use of a key, shown to staff until someone acknowledges it."""

    __tablename__ = "key_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
