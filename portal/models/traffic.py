"""Traffic controls: staff's block and allow lists, which the tracker enforces at click time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


class TrafficControl(db.Model):
    """One rule (Everflow's network_traffic_control): a variable, a comparison, values that block (blacklist)
    or alone are allowed (whitelist); for all offers or those in traffic_control_offers, all partners or those
    in traffic_control_partners; in force from date_valid_from to date_valid_to (either open)."""

    __tablename__ = "traffic_controls"

    id: Mapped[int] = mapped_column(primary_key=True)  # network_traffic_control_id
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)  # active, inactive
    control_type: Mapped[str] = mapped_column(String(20), default="blacklist")  # domain.traffic.CONTROL_TYPES
    variable: Mapped[str] = mapped_column(String(20))  # domain.traffic.VARIABLES
    comparison_method: Mapped[str] = mapped_column(String(20), default="exact_match")
    values: Mapped[list] = mapped_column(JSON, default=list)  # strings, as staff entered them
    is_apply_all_offers: Mapped[bool] = mapped_column(Boolean, default=True)
    is_apply_all_affiliates: Mapped[bool] = mapped_column(Boolean, default=True)
    date_valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    date_valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TrafficControlOffer(db.Model):
    """An offer a rule applies to (only read when the rule is not for all offers)."""

    __tablename__ = "traffic_control_offers"

    traffic_control_id: Mapped[int] = mapped_column(ForeignKey("traffic_controls.id", ondelete="CASCADE"),
                                                    primary_key=True)
    offer_id: Mapped[int] = mapped_column(Integer, ForeignKey("offers.id"), primary_key=True, index=True)


class TrafficControlPartner(db.Model):
    """A partner a rule applies to (only read when the rule is not for all partners)."""

    __tablename__ = "traffic_control_partners"

    traffic_control_id: Mapped[int] = mapped_column(ForeignKey("traffic_controls.id", ondelete="CASCADE"),
                                                    primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, ForeignKey("partners.id"), primary_key=True, index=True)
