"""API keys: partners' keys (a keyed lookup hash plus an encrypted copy, never in plain text), the
Network API's key pairs (public key and a secret hash) and the Everflow-style network keys (a hash only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


class ApiKey(db.Model):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(24))  # the visible start of the key, for masking
    lookup_hash: Mapped[str] = mapped_column(String(64), unique=True)
    encrypted_secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_ip: Mapped[str | None] = mapped_column(String(45))
    last_used_endpoint: Mapped[str | None] = mapped_column(String(200))
    ip_allowlist: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: any address

    created_by: Mapped["StaffUser | None"] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    revoked_by: Mapped["StaffUser | None"] = relationship(foreign_keys=[revoked_by_id])  # noqa: F821


NETWORK_KEY_MODES = ("test", "production")


class NetworkApiKey(db.Model):
    """A key pair of the network's back end: the public key names it, the secret is kept only as a keyed hash.

    The pair's mode decides what it may touch (test pairs: test partnerships only); there is no switch."""

    __tablename__ = "network_api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(10))  # test | production
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped["StaffUser | None"] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    revoked_by: Mapped["StaffUser | None"] = relationship(foreign_keys=[revoked_by_id])  # noqa: F821


class EverflowNetworkKey(db.Model):
    """A key of the Everflow-style Network API (`/v1/networks`, sent in `X-Eflow-API-Key`).

    Shown once when issued and kept only as a keyed lookup hash; the prefix is its visible start, for
    telling keys apart in the console. Revocation is final."""

    __tablename__ = "everflow_network_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(24))
    lookup_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_ip: Mapped[str | None] = mapped_column(String(45))

    created_by: Mapped["StaffUser | None"] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    revoked_by: Mapped["StaffUser | None"] = relationship(foreign_keys=[revoked_by_id])  # noqa: F821
