"""A partner's payout details row: partner id first."""

from __future__ import annotations

from portal.extensions import db
from portal.models import PayoutDetails

MAX_ID = 2**31 - 1


def payout_details(partner_id: int) -> PayoutDetails | None:
    if not 0 < partner_id <= MAX_ID:
        return None
    return db.session.get(PayoutDetails, partner_id)
