"""Network-wide reads of who stands how on each offer (OfferAccess) for the Everflow-style Network API:
each offer's visibility standings, and the partners' payout overrides (Everflow's custom payouts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import Offer, OfferAccess, Partner

# The standings that change what a partner may see or run (pending and default rows change nothing).
STANDING_STATUSES = ("approved", "rejected", "blocked")


@dataclass(frozen=True)
class OfferStandings:
    offer_id: int
    visibility: str
    standings: tuple[tuple[int, str], ...]  # (partner id, access status), by partner id


@dataclass(frozen=True)
class PayoutOverride:
    access_id: int
    offer_id: int
    partner_id: int
    partner_name: str
    offer_name: str
    currency: str
    payout_type: str
    payout_amount: int
    created_at: datetime
    updated_at: datetime


def offer_standings(offer_id: int | None = None) -> list[OfferStandings]:
    """Every offer (or one), oldest first, with its partners' standings; an unknown offer_id gives []."""
    offers = select(Offer.id, Offer.visibility).order_by(Offer.id)
    rows = select(OfferAccess.offer_id, OfferAccess.partner_id, OfferAccess.status).where(
        OfferAccess.status.in_(STANDING_STATUSES)).order_by(OfferAccess.offer_id, OfferAccess.partner_id)
    if offer_id is not None:
        offers, rows = offers.where(Offer.id == offer_id), rows.where(OfferAccess.offer_id == offer_id)
    found: dict[int, list[tuple[int, str]]] = {}
    for row in db.session.execute(rows):
        found.setdefault(row.offer_id, []).append((row.partner_id, row.status))
    return [OfferStandings(o.id, o.visibility, tuple(found.get(o.id, ()))) for o in db.session.execute(offers)]


def _overrides():
    return (select(OfferAccess.id, OfferAccess.offer_id, OfferAccess.partner_id, Partner.name.label("partner_name"),
                   Offer.name.label("offer_name"), Offer.currency, OfferAccess.payout_type, OfferAccess.payout_amount,
                   OfferAccess.created_at, OfferAccess.updated_at)
            .join(Offer, Offer.id == OfferAccess.offer_id).join(Partner, Partner.id == OfferAccess.partner_id)
            .where(OfferAccess.payout_type.is_not(None), OfferAccess.payout_amount.is_not(None)))


def payout_overrides(offer_id: int | None = None, created: tuple[str, datetime] | None = None,
                     saved: tuple[str, datetime] | None = None) -> list[PayoutOverride]:
    """Every partner's payout override, oldest first; `created`/`saved` are (operator, whole second) with
    an operator of =, > or < (Everflow's filters on unix times)."""
    stmt = _overrides()
    if offer_id is not None:
        stmt = stmt.where(OfferAccess.offer_id == offer_id)
    for column, bound in ((OfferAccess.created_at, created), (OfferAccess.updated_at, saved)):
        if bound is not None:
            op, at = bound  # unix seconds: "=" is that whole second
            if op == ">":
                stmt = stmt.where(column >= at + timedelta(seconds=1))
            elif op == "<":
                stmt = stmt.where(column < at)
            else:
                stmt = stmt.where(column >= at, column < at + timedelta(seconds=1))
    return [PayoutOverride(*row) for row in db.session.execute(stmt.order_by(OfferAccess.id))]


def payout_override(access_id: int) -> PayoutOverride | None:
    row = db.session.execute(_overrides().where(OfferAccess.id == access_id)).first()
    return PayoutOverride(*row) if row else None
