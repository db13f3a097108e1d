"""Release on-hold conversions whose holding period has ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from portal.extensions import db
from portal.models import Conversion
from portal.models.base import utcnow


def release_due_holds(now: datetime | None = None) -> int:
    """Approve every on-hold conversion whose hold_until has passed; returns how many were released."""
    stmt = (
        update(Conversion)
        .where(Conversion.status == "on_hold", Conversion.hold_until.is_not(None), Conversion.hold_until <= (now or utcnow()))
        .values(status="approved")
    )
    released = db.session.execute(stmt).rowcount
    db.session.commit()
    return released
