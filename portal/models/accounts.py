"""Who signs in: network staff and partner users, each with their own kind of session."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.accounts import PARTNER_STATUSES_WITHOUT_ACCESS
from portal.extensions import db
from portal.models.base import BigId, UTCDateTime, utcnow

# Every staff permission the console knows. Either of the first two allows issuing and revoking keys.
PERMISSIONS = (
    "security:full_control",
    "accounts_history:full_access",
    "partners:view",
    "partners:manage",
    "settings:manage",
    "offers:manage",  # offers, creatives, coupon codes, product feeds, applications and per-partner access
    "billing:manage",  # invoices: runs, adjustments, payments, voids
)
KEY_PERMISSIONS = ("security:full_control", "accounts_history:full_access")


class Credentials:
    """Columns and behaviour shared by both kinds of user that sign in with a password."""

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session_kind: str = ""

    def get_id(self) -> str:
        return f"{self.session_kind}:{self.id}"  # the sign-in itself is a SignInSession (services.sessions)

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def may_sign_in(self) -> bool:
        return bool(self.active)


class StaffUser(Credentials, UserMixin, db.Model):
    __tablename__ = "staff_users"
    session_kind = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)

    def can(self, permission: str) -> bool:
        return permission in (self.permissions or [])

    def can_any(self, *permissions: str) -> bool:
        return any(self.can(p) for p in permissions)


class PartnerUser(Credentials, UserMixin, db.Model):
    __tablename__ = "partner_users"
    session_kind = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="reports")  # portal.domain.roles.ROLES

    partner: Mapped["Partner"] = relationship(back_populates="users")  # noqa: F821

    @property
    def may_sign_in(self) -> bool:
        """A suspended or deactivated partner's users are out, and so are their sessions."""
        return bool(self.active) and self.partner.status not in PARTNER_STATUSES_WITHOUT_ACCESS


class SignInSession(db.Model):
    """One signed-in browser: the cookie carries a random token, the database its SHA-256. Sign-out ends the
    row at once, so a copied cookie opens nothing afterwards; idle and absolute timeouts are checked here too.
    """

    __tablename__ = "sign_in_sessions"
    __table_args__ = (Index("ix_sign_in_sessions_user", "user_kind", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_kind: Mapped[str] = mapped_column(String(10))  # "partner" or "staff": the two user tables
    user_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(20))  # signed_out, ended_by_user, password_changed
    # How the user proved who they are: "password", "two_factor" (password and a code) or "sso".
    method: Mapped[str] = mapped_column(String(10), default="password")
    # When the user last confirmed who they are again in this session (staff, before a secret is shown in full).
    identity_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
