"""Marking a partner's notices read: for the whole company, since a notice is about the company's offers."""

from __future__ import annotations

from sqlalchemy import update

from portal.extensions import db
from portal.models import PartnerNotice
from portal.models.base import utcnow
from portal.queries import notices
from portal.services import audit


def mark_read(partner_id: int, notice_id: int, actor) -> bool:
    """Mark one of the partner's notices read; False when it is not theirs (the door answers 404)."""
    found = notices.notice(partner_id, notice_id)
    if found is None:
        return False
    if found.read_at is None:
        found.read_at = utcnow()
        audit.record("notice.read", actor=actor, target=found, ip=getattr(actor, "ip", None),
                     detail={"partner_id": partner_id, "kind": found.kind})
        db.session.commit()
    return True


def mark_all_read(partner_id: int, actor) -> int:
    """Mark every unread notice of the partner read; how many were."""
    result = db.session.execute(update(PartnerNotice)
                                .where(PartnerNotice.partner_id == partner_id, PartnerNotice.read_at.is_(None))
                                .values(read_at=utcnow()))
    if result.rowcount:
        audit.record("notices.read_all", actor=actor, ip=getattr(actor, "ip", None),
                     detail={"partner_id": partner_id, "count": result.rowcount})
    db.session.commit()
    return result.rowcount
