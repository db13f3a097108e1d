"""Links sent by mail: password resets and invitations. Each holds the SHA-256 of a random token (the link
carries the token itself), an expiry, and is used once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import BigId, UTCDateTime, utcnow


class PasswordReset(db.Model):
    """A "forgot password" link for one partner user or staff user."""

    __tablename__ = "password_resets"
    __table_args__ = (Index("ix_password_resets_user", "user_kind", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_kind: Mapped[str] = mapped_column(String(10))  # "partner" or "staff": the two user tables
    user_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(45))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(20))  # used | superseded


class Invitation(db.Model):
    """An invitation to become a partner user (of one partner, with a role) or a staff user (with permissions)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # "partner" or "staff"
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str | None] = mapped_column(String(20))  # partner invitations
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)  # staff invitations
    invited_by_kind: Mapped[str] = mapped_column(String(10))  # partner | staff | system
    invited_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the last (re)send
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_user_id: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
