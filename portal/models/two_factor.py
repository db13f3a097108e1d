"""Two-factor sign-in: a user's TOTP secret (encrypted), their single-use recovery codes (keyed hashes), and
the short-lived sign-in waiting for its second step. Rows name their user as SignInSession does: a kind
("partner" or "staff") and an id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import BigId, UTCDateTime, utcnow


class TwoFactorSecret(db.Model):
    """The TOTP secret of one user, encrypted with the key-encryption key. Until it is confirmed with a code
    from the user's app it is only a setup in progress, and sign-in does not ask for it."""

    __tablename__ = "two_factor_secrets"
    __table_args__ = (UniqueConstraint("user_kind", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_kind: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int] = mapped_column(Integer)
    encrypted_secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last 30-second time step whose code was accepted: a code is good once, never replayed.
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(db.Model):
    """One single-use recovery code: only its HMAC-SHA-256 under a key derived from the key-encryption key."""

    __tablename__ = "recovery_codes"
    __table_args__ = (Index("ix_recovery_codes_user", "user_kind", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_kind: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int] = mapped_column(Integer)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PendingSignIn(db.Model):
    """A password accepted for a user with two-factor on: the browser holds a random token (the database its
    SHA-256) and has until expires_at to give a code. Used once; nothing else opens with it."""

    __tablename__ = "pending_sign_ins"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_kind: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int] = mapped_column(Integer)
    next_path: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
