"""Partner reads for the staff console (not partner-scoped: staff see every partner)."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from portal.extensions import db
from portal.models import ApiKey, NetworkApiKey, Partner, Postback


def partners(search: str = "") -> list[Partner]:
    stmt = select(Partner).order_by(Partner.id)
    if search:
        like = f"%{search.lower()}%"
        stmt = stmt.where(or_(func.lower(Partner.name).like(like), func.lower(Partner.partner_key).like(like)))
    return list(db.session.scalars(stmt))


def partner(partner_id: int) -> Partner | None:
    return db.session.get(Partner, partner_id)


def partner_keys(partner_id: int) -> list[ApiKey]:
    return list(db.session.scalars(
        select(ApiKey).where(ApiKey.partner_id == partner_id).order_by(ApiKey.created_at.desc())))


def partner_key(partner_id: int, key_id: int) -> ApiKey | None:
    """One of this partner's keys; another partner's key id finds nothing."""
    return db.session.scalar(select(ApiKey).where(ApiKey.partner_id == partner_id, ApiKey.id == key_id))


def partner_postbacks(partner_id: int) -> list[Postback]:
    return list(db.session.scalars(
        select(Postback).where(Postback.partner_id == partner_id).order_by(Postback.id)))


def network_key(pair_id: int) -> NetworkApiKey | None:
    return db.session.get(NetworkApiKey, pair_id)


def network_key_named(public_key: str) -> NetworkApiKey | None:
    """The pair this public key names (it is not secret: operators pass it to revoke a pair)."""
    return db.session.scalar(select(NetworkApiKey).where(NetworkApiKey.public_key == public_key))
