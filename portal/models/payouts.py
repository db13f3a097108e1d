"""A partner's payout details: the method and its fields encrypted at rest (like API keys' secrets), the
masked form shown on pages and in the audit log, and the tax form's status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


class PayoutDetails(db.Model):
    """One row per partner. `encrypted_details` is a Fernet token (the key-encryption key from config, never
    from the database) of the JSON of the method's fields; `masked` is what pages may show of them."""

    __tablename__ = "partner_payout_details"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    method: Mapped[str | None] = mapped_column(String(20))  # portal.domain.payouts.METHODS; None: none yet
    encrypted_details: Mapped[bytes | None] = mapped_column(LargeBinary)
    masked: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    tax_form: Mapped[str | None] = mapped_column(String(10))  # W-9, W-8BEN, W-8BEN-E
    tax_status: Mapped[str] = mapped_column(String(20), default="not_submitted")  # domain.payouts.TAX_STATUSES
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_type: Mapped[str] = mapped_column(String(10), default="partner")  # partner | staff | system
    updated_by_id: Mapped[int | None] = mapped_column()
    updated_by_label: Mapped[str] = mapped_column(String(254), default="")
