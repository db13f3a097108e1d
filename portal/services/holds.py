"""Release on-hold conversions whose holding period has ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portal.delivery.outbox import enqueue_for_conversion
from portal.extensions import db
from portal.models import Conversion, Offer
from portal.models.base import utcnow
from portal.services import rollups
from portal.services.write_lock import begin_write

BATCH = 1_000


def release_due_holds(now: datetime | None = None) -> int:
    """Approve every on-hold conversion whose hold_until has passed; returns how many were released.

    Each batch moves its conversions and their report rollups, and queues the status-update postbacks of
    partners subscribed to them, in one transaction. The rows are locked (FOR UPDATE on PostgreSQL, the
    write lock on SQLite), so a staff decision on the same conversion waits and then sees it approved."""
    cutoff, released = now or utcnow(), 0
    while True:
        begin_write(db.session)
        due = db.session.scalars(
            select(Conversion)
            .where(Conversion.status == "on_hold", Conversion.hold_until.is_not(None), Conversion.hold_until <= cutoff)
            .order_by(Conversion.id).limit(BATCH).with_for_update()
        ).all()
        if not due:
            db.session.rollback()
            return released
        delta = rollups.RollupDelta()
        offers = {offer.id: offer for offer in db.session.scalars(
            select(Offer).where(Offer.id.in_({conversion.offer_id for conversion in due})))}
        for conversion in due:
            conversion.status, conversion.status_changed_at = "approved", utcnow()
            delta.status_change(conversion, old_status="on_hold")
            enqueue_for_conversion(db.session, conversion, offers.get(conversion.offer_id), kind="update")
        rollups.apply(db.session, delta)
        db.session.commit()
        released += len(due)
