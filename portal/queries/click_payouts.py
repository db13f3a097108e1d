"""What clicks earn in SQL: a unique valid click on a CPC offer earns the partner's CPC (override first).

The same rule as models.offers.partner_payout and services.rollups.click_payout_cents, for the queries that
count clicks from the raw table (the rollups' rebuild, raw-row reports, the dashboard figures).
"""

from __future__ import annotations

from sqlalchemy import and_, case

from portal.models import Click, Offer, OfferAccess


def with_payout_rules(stmt, clicks=Click.__table__.c):
    """Join each click's offer and the partner's access row (if any) onto a select over clicks."""
    return with_access(stmt.join(Offer, Offer.id == clicks.offer_id), clicks)


def with_access(stmt, clicks=Click.__table__.c):
    """Outer-join the partner's access row onto a select over clicks that already joins their offer."""
    return stmt.outerjoin(OfferAccess, and_(OfferAccess.partner_id == clicks.partner_id,
                                            OfferAccess.offer_id == clicks.offer_id))


def valid(clicks=Click.__table__.c):
    """A click that was sent on to the offer (Everflow's total_click counts only these)."""
    return clicks.error_code.is_(None)


def _overridden():
    return and_(OfferAccess.payout_type.is_not(None), OfferAccess.payout_amount.is_not(None))


def payout_type():
    """The partner's payout type on the click's offer: flat, percent or cpc (needs `with_payout_rules`)."""
    return case((_overridden(), OfferAccess.payout_type), else_=Offer.payout_type)


def earned_cents(clicks=Click.__table__.c):
    """Per click: its CPC when unique, valid and paid per click, else 0 (needs `with_payout_rules`)."""
    amount = case((_overridden(), OfferAccess.payout_amount), else_=Offer.payout_amount)
    return case((and_(valid(clicks), clicks.is_unique, payout_type() == "cpc"), amount), else_=0)
