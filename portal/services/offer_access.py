"""Staff decide who runs which offer: approve or reject applications (the partner is told in the portal),
grant private offers, block partners from public ones, and set or clear per-partner payouts; all audited."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from portal.extensions import db
from portal.models import Offer, OfferAccess, Partner, PartnerNotice
from portal.models.base import utcnow
from portal.models.offers import PAYOUT_TYPES
from portal.queries.offer_access import is_visible
from portal.services import audit
from portal.services.offers import OfferError, payout_amount

MAX_REASON = 2000


class AccessError(ValueError):
    """A decision that cannot be made; the message says why."""


def _access(partner: Partner, offer: Offer) -> OfferAccess:
    found = db.session.scalar(select(OfferAccess).where(OfferAccess.partner_id == partner.id,
                                                        OfferAccess.offer_id == offer.id))
    if found is None:
        # Neutral until a decision sets it: a row made to hold a payout override grants nothing, so the
        # offer's visibility alone decides (an offer made private later stays hidden from this partner).
        found = OfferAccess(partner_id=partner.id, offer_id=offer.id, status="default")
        db.session.add(found)
    return found


def _notice(access: OfferAccess, offer: Offer, kind: str, title: str, body: str = "") -> None:
    db.session.add(PartnerNotice(partner_id=access.partner_id, offer_id=offer.id, kind=kind, title=title,
                                 body=body))


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise AccessError(f"reason: at most {MAX_REASON} characters")
    return reason


def decide_application(access: OfferAccess, approve: bool, reason: str | None, actor, *,
                       ip: str | None = None) -> OfferAccess:
    """Approve or reject a pending application; the partner gets a notice carrying the reason."""
    if access.status != "pending":
        raise AccessError("This application was already decided.")
    reason = _reason(reason)
    offer = db.session.get(Offer, access.offer_id)
    access.status = "approved" if approve else "rejected"
    access.decision_reason, access.decided_at, access.decided_by_id = reason, utcnow(), actor.id
    verdict = "approved" if approve else "rejected"
    _notice(access, offer, f"offer_{verdict}", f"Your application to {offer.name} was {verdict}", reason)
    audit.record(f"offer_application.{verdict}", actor=actor, target=access, ip=ip,
                 detail={"offer_id": offer.id, "partner_id": access.partner_id, "reason": reason})
    db.session.commit()
    return access


def set_access(partner: Partner, offer: Offer, status: str, reason: str | None, actor, *,
               ip: str | None = None) -> OfferAccess:
    """Grant (approved) or block a partner on an offer, whatever they had before; the partner is told."""
    if status not in ("approved", "blocked"):
        raise AccessError("status: approved or blocked")
    reason = _reason(reason)
    # Read before the change: a partner that never could see the offer is not told it lost it.
    could_see = is_visible(partner.id, offer.id, utcnow())
    access = _access(partner, offer)
    before = access.status if access.id is not None else None
    access.status, access.decision_reason = status, reason
    access.decided_at, access.decided_by_id = utcnow(), actor.id
    if status == "approved":
        _notice(access, offer, "offer_granted", f"You can now run {offer.name}", reason)
    elif could_see:
        _notice(access, offer, "offer_blocked", f"You can no longer run {offer.name}", reason)
    audit.record("offer_access.granted" if status == "approved" else "offer_access.blocked", actor=actor,
                 target=offer, ip=ip, detail={"partner_id": partner.id, "from": before, "reason": reason})
    db.session.commit()
    return access


def set_payout_override(partner: Partner, offer: Offer, payout_type: str | None, amount: Decimal | None,
                        actor, *, ip: str | None = None) -> OfferAccess | None:
    """This partner's payout on the offer (payout_type None: clear the override, back to the offer's)."""
    if payout_type is None:
        access = db.session.scalar(select(OfferAccess).where(OfferAccess.partner_id == partner.id,
                                                             OfferAccess.offer_id == offer.id))
        if access is None or access.payout_type is None:
            return access
        detail = {"partner_id": partner.id, "from": {"type": access.payout_type, "amount": access.payout_amount}}
        access.payout_type = access.payout_amount = None
        audit.record("offer_payout_override.cleared", actor=actor, target=offer, ip=ip, detail=detail)
        db.session.commit()
        return access
    if payout_type not in PAYOUT_TYPES:
        raise AccessError("payout_type: flat, percent or cpc")
    try:
        stored = payout_amount(payout_type, amount)
    except OfferError as err:
        raise AccessError(str(err)) from None
    existing = db.session.scalar(select(OfferAccess.id).where(OfferAccess.partner_id == partner.id,
                                                              OfferAccess.offer_id == offer.id))
    if existing is None and offer.visibility != "public":
        # An override alone must not grant an offer that needs approval: grant it first, on purpose.
        raise AccessError("partner_id: this partner has no access to the offer yet; grant it first")
    access = _access(partner, offer)
    before = {"type": access.payout_type, "amount": access.payout_amount}
    access.payout_type, access.payout_amount = payout_type, stored
    audit.record("offer_payout_override.set", actor=actor, target=offer, ip=ip,
                 detail={"partner_id": partner.id, "from": before, "to": {"type": payout_type, "amount": stored}})
    db.session.commit()
    return access
