"""A partner's own logins and keys."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import ApiKey, PartnerUser


def partner_users(partner_id: int) -> list[PartnerUser]:
    stmt = select(PartnerUser).where(PartnerUser.partner_id == partner_id).order_by(PartnerUser.email)
    return list(db.session.scalars(stmt))


def has_active_key(partner_id: int) -> bool:
    stmt = select(ApiKey.id).where(ApiKey.partner_id == partner_id, ApiKey.revoked_at.is_(None)).limit(1)
    return db.session.scalar(stmt) is not None


def active_keys(partner_id: int) -> list[ApiKey]:
    stmt = (select(ApiKey).where(ApiKey.partner_id == partner_id, ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.created_at))
    return list(db.session.scalars(stmt))
