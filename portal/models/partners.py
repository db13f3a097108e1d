"""Partners (affiliates) and the register of every partner_key ever used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow

PARTNER_STATUSES = ("active", "pending", "inactive", "suspended")
ONBOARDING_STATES = ("onboarding", "complete")


class Partner(db.Model):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)  # the affiliate id partners see
    partnership_key: Mapped[str] = mapped_column(String(40), unique=True)
    partner_key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default="active")
    onboarding: Mapped[str] = mapped_column(String(20), default="complete")
    fraud_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    account_manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    internal_notes: Mapped[str] = mapped_column(Text, default="")  # network-only, never shown to the partner
    # Network API (PartnerStack's partnership fields): its group, free-form tags, and an archive mark.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("partner_groups.id"), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Upstream mode (PORTAL_UPSTREAM_URL): the affiliate id this partner has on the upstream network.
    upstream_affiliate_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)

    users: Mapped[list["PartnerUser"]] = relationship(back_populates="partner")  # noqa: F821
    account_manager: Mapped["StaffUser | None"] = relationship()  # noqa: F821
    group: Mapped["PartnerGroup | None"] = relationship()  # noqa: F821


class PartnerKeyReservation(db.Model):
    """A partner_key once used stays here for good, so it is never handed to anyone else."""

    __tablename__ = "partner_key_reservations"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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
