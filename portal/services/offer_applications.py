"""A partner applies to run an offer that requires approval: one pending OfferAccess row, audited, one commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.domain.actors import Actor
from portal.domain.offers import ApplicationRefused, ApplicationView
from portal.extensions import db
from portal.models import Offer, OfferAccess
from portal.models.base import utcnow
from portal.services import audit

REFUSALS = {
    "approved": "you are already approved to run this offer",
    "pending": "your application to this offer is already waiting for a decision",
    "blocked": "this offer is not open to you; ask your account manager",
}


def apply(partner_id: int, offer_id: int, note: str, actor: Actor | None = None) -> ApplicationView:
    """Record (or re-submit, after a rejection) the partner's application; ApplicationRefused when the offer
    takes none from this partner. The caller has checked that the partner may see the offer."""
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.visibility != "require_approval":
        raise ApplicationRefused("this offer does not take applications")
    access = db.session.scalar(select(OfferAccess).where(OfferAccess.partner_id == partner_id,
                                                         OfferAccess.offer_id == offer_id))
    if access is not None and access.status in REFUSALS:
        raise ApplicationRefused(REFUSALS[access.status])
    # A "default" row (only a payout override) applies like no row: it is a first application.
    resubmitted = access is not None and access.status == "rejected"
    if access is None:
        access = OfferAccess(partner_id=partner_id, offer_id=offer_id)
        db.session.add(access)
    access.status = "pending"
    access.application_note = note
    access.applied_at = utcnow()
    access.decision_reason, access.decided_at, access.decided_by_id = "", None, None
    try:
        db.session.flush()
    except IntegrityError:
        # Another request of the same partner applied first (the unique partner/offer pair): one application.
        db.session.rollback()
        raise ApplicationRefused(REFUSALS["pending"]) from None
    detail = {"partner_id": partner_id, "offer_id": offer_id, "resubmitted": resubmitted}
    if actor is not None and actor.session_kind == "api":
        detail["api_key_id"] = actor.id
    audit.record("offer.applied", actor=actor, target=access, ip=actor.ip if actor else None, detail=detail)
    view = ApplicationView(status=access.status, note=access.application_note, applied_at=access.applied_at,
                           decision_reason="", decided_at=None)
    db.session.commit()
    return view
