"""A partner's notices in the portal (applications decided, offers granted): partner id first."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import PartnerNotice

MAX_ROW_ID = 2**63 - 1
SHOWN_UNREAD = 5  # the newest unread notices shown at the top of a page; the rest are counted


def unread(partner_id: int, limit: int = SHOWN_UNREAD) -> list[PartnerNotice]:
    """The partner's newest unread notices."""
    stmt = (select(PartnerNotice).where(PartnerNotice.partner_id == partner_id, PartnerNotice.read_at.is_(None))
            .order_by(PartnerNotice.created_at.desc(), PartnerNotice.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def unread_count(partner_id: int) -> int:
    stmt = (select(func.count()).select_from(PartnerNotice)
            .where(PartnerNotice.partner_id == partner_id, PartnerNotice.read_at.is_(None)))
    return db.session.scalar(stmt) or 0


def notice(partner_id: int, notice_id: int) -> PartnerNotice | None:
    """One of the partner's own notices; None for anyone else's (or a number past the ids)."""
    if not 0 < notice_id <= MAX_ROW_ID:
        return None
    return db.session.scalar(select(PartnerNotice).where(PartnerNotice.id == notice_id,
                                                         PartnerNotice.partner_id == partner_id))
