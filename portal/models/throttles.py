"""Failed sign-ins counted for email addresses no user has, so that they lock exactly as a user's do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import UTCDateTime


class SignInThrottle(db.Model):
    """Counters of one (kind of door, email) pair, keyed by an HMAC of the normalised address: the typed
    addresses themselves (sometimes a password typed into the wrong field) are not kept."""

    __tablename__ = "sign_in_throttles"
    __table_args__ = (UniqueConstraint("user_kind", "email_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_kind: Mapped[str] = mapped_column(String(10))
    email_hash: Mapped[str] = mapped_column(String(64))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
