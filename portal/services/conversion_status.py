"""Staff decisions on a conversion: approve, reject or hold it.

The new status, the report rollups it moves, the audit event, the status-update postbacks and, for an
invoiced conversion, the adjustment for the next invoice (services.billing_adjustments) are one
transaction: a decision is never half-recorded, and partners subscribed to updates hear about exactly
the decisions that were committed.
"""

from __future__ import annotations

from sqlalchemy import select

from portal.delivery.outbox import enqueue_for_conversion
from portal.extensions import db
from portal.models import Conversion, Offer
from portal.models.base import utcnow
from portal.services import audit, rollups
from portal.services.billing_adjustments import settle_conversion
from portal.services.write_lock import begin_write

# What staff may set, as the button words the console shows.
STAFF_DECISIONS = {"approved": "Approve", "rejected": "Reject", "on_hold": "Hold"}


class ConversionStatusError(ValueError):
    """A decision that cannot be applied; the message says why."""


def change_status(conversion: Conversion, new_status: str, actor, ip: str | None = None) -> bool:
    """Set the conversion's status; False (and nothing written) when it already has that status.

    The row is re-read under a lock (FOR UPDATE on PostgreSQL, the write lock on SQLite), so a concurrent decision or the on-hold release job
    (services.holds) waits, and the rollups move from the status actually stored, never a stale one."""
    if new_status not in STAFF_DECISIONS:
        raise ConversionStatusError(f"status must be one of {', '.join(STAFF_DECISIONS)}")
    begin_write(db.session)
    locked = db.session.scalars(
        select(Conversion).where(Conversion.id == conversion.id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    old_status = locked.status
    if old_status == new_status:
        db.session.rollback()
        return False
    locked.status = new_status
    locked.status_changed_at = utcnow()
    # A staff hold lasts until staff decide again: no end date, so the release job leaves it alone.
    locked.hold_until = None
    delta = rollups.RollupDelta()
    delta.status_change(locked, old_status)
    rollups.apply(db.session, delta)
    audit.record("conversion.status_changed", actor=actor, target=locked, ip=ip,
                 detail={"conversion_id": locked.conversion_id, "partner_id": locked.partner_id,
                         "from": old_status, "to": new_status})
    enqueue_for_conversion(db.session, locked, db.session.get(Offer, locked.offer_id), kind="update")
    # An invoiced conversion's invoice stays as it was sent; the difference goes onto the next one.
    settle_conversion(locked, f"conversion {locked.conversion_id} {new_status.replace('_', ' ')}", actor, ip)
    db.session.commit()
    return True
