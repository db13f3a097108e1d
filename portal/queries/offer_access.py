"""Which offers a partner may see and run: one rule, read by the façade, the pages, the API and the tracker.

- public offers are visible and runnable, unless staff blocked the partner on it;
- require_approval offers are visible; runnable once the partner's application is approved;
- private offers are invisible (a 404) unless staff granted them (access approved), then runnable;
- only active offers (not past live_until) are runnable; paused ones stay visible, expired, pending and
  deleted ones are not listed;
- a "default" access row (it only holds a payout override) counts as no row: it neither grants nor blocks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select

from portal.extensions import db
from portal.models import Offer, OfferAccess

LISTED_STATUSES = ("active", "paused")


def not_expired(now: datetime):
    return or_(Offer.live_until.is_(None), Offer.live_until > now)


def _access_join(partner_id: int):
    return and_(OfferAccess.offer_id == Offer.id, OfferAccess.partner_id == partner_id)


def visible(partner_id: int, now: datetime):
    """Conditions (on Offer outer-joined with this partner's OfferAccess) for offers the partner may see."""
    granted = OfferAccess.status == "approved"
    blocked = OfferAccess.status == "blocked"
    return and_(
        Offer.status.in_(LISTED_STATUSES), not_expired(now),
        or_(and_(Offer.visibility == "public", or_(OfferAccess.status.is_(None), ~blocked)),
            and_(Offer.visibility == "require_approval", or_(OfferAccess.status.is_(None), ~blocked)),
            and_(Offer.visibility == "private", granted)),
    )


def runnable(partner_id: int, now: datetime):
    """Conditions for offers the partner may run now (send traffic to, get links and creatives for)."""
    granted = OfferAccess.status == "approved"
    return and_(
        Offer.status == "active", not_expired(now),
        or_(and_(Offer.visibility == "public",
                 or_(OfferAccess.status.is_(None), OfferAccess.status != "blocked")),
            and_(Offer.visibility.in_(("require_approval", "private")), granted)),
    )


def offers_with_access(partner_id: int):
    """select(Offer, OfferAccess) outer-joined for this partner; add visible() or runnable() to it."""
    return select(Offer, OfferAccess).outerjoin(OfferAccess, _access_join(partner_id))


def is_visible(partner_id: int, offer_id: int, now: datetime) -> bool:
    stmt = (select(Offer.id).outerjoin(OfferAccess, _access_join(partner_id))
            .where(Offer.id == offer_id, visible(partner_id, now)))
    return db.session.scalar(stmt) is not None


def is_runnable(partner_id: int, offer_id: int, now: datetime) -> bool:
    stmt = (select(Offer.id).outerjoin(OfferAccess, _access_join(partner_id))
            .where(Offer.id == offer_id, runnable(partner_id, now)))
    return db.session.scalar(stmt) is not None


def relationship_status(offer: Offer, access: OfferAccess | None) -> str:
    """Everflow's relationship.offer_affiliate_status for the partner: public, approved, pending,
    rejected, blocked, or require_approval (may apply)."""
    if access is not None and access.status in ("approved", "pending", "rejected", "blocked"):
        if offer.visibility == "public" and access.status == "approved":
            return "public"
        return access.status
    return "public" if offer.visibility == "public" else "require_approval"
