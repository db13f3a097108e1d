"""A partner's own logins and keys."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.domain.roles import ADMIN
from portal.extensions import db
from portal.models import ApiKey, PartnerUser, StaffUser


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


def partner_user(partner_id: int, user_id: int) -> PartnerUser | None:
    """One of the partner's own users; None for another partner's (or an id past the column's range)."""
    if not 0 < user_id <= 2**31 - 1:
        return None
    return db.session.scalar(select(PartnerUser).where(PartnerUser.partner_id == partner_id,
                                                       PartnerUser.id == user_id))


def active_admin_count(partner_id: int) -> int:
    stmt = select(func.count()).select_from(PartnerUser).where(PartnerUser.partner_id == partner_id,
                                                               PartnerUser.role == ADMIN, PartnerUser.active.is_(True))
    return db.session.scalar(stmt) or 0


def staff_users() -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.email)))
