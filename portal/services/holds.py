"""Release on-hold conversions whose holding period has ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import Conversion
from portal.models.base import utcnow
from portal.services import rollups

BATCH = 1_000


def release_due_holds(now: datetime | None = None) -> int:
    """Approve every on-hold conversion whose hold_until has passed; returns how many were released.

    Each batch moves its conversions and their report rollups in one transaction. The rows are locked
    (PostgreSQL), so a staff decision on the same conversion waits and then sees it approved."""
    cutoff, released = now or utcnow(), 0
    while True:
        due = db.session.scalars(
            select(Conversion)
            .where(Conversion.status == "on_hold", Conversion.hold_until.is_not(None), Conversion.hold_until <= cutoff)
            .order_by(Conversion.id).limit(BATCH).with_for_update()
        ).all()
        if not due:
            return released
        delta = rollups.RollupDelta()
        for conversion in due:
            conversion.status = "approved"
            delta.status_change(conversion, old_status="on_hold")
        rollups.apply(db.session, delta)
        db.session.commit()
        released += len(due)
