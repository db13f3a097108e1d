"""Clicks in SQL: which are valid, and the payout rule a click's partner is on (for the raw click report).

What a click earned is not recomputed here: it is `Click.payout_cents`, fixed when the click was taken.
"""

from __future__ import annotations

from sqlalchemy import and_, case

from portal.models import Click, Offer, OfferAccess


def with_payout_rules(stmt, clicks=Click.__table__.c):
    """Join each click's offer and the partner's access row (if any) onto a select over clicks."""
    return stmt.join(Offer, Offer.id == clicks.offer_id).outerjoin(
        OfferAccess, and_(OfferAccess.partner_id == clicks.partner_id, OfferAccess.offer_id == clicks.offer_id))


def valid(clicks=Click.__table__.c):
    """A click that was sent on to the offer (Everflow's total_click counts only these)."""
    return clicks.error_code.is_(None)


def payout_type(clicks=Click.__table__.c):
    """The click's payout type: flat, percent or cpc (needs `with_payout_rules`). A click that earned was paid
    per click when taken; any other shows the partner's rule on the offer as it is now."""
    overridden = and_(OfferAccess.payout_type.is_not(None), OfferAccess.payout_amount.is_not(None))
    return case((clicks.payout_cents > 0, "cpc"), (overridden, OfferAccess.payout_type), else_=Offer.payout_type)
