"""Traffic control reads: the rules the tracker enforces, the staff console's list, a partner's rules."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import or_, select

from portal.domain.traffic import Rule, TrafficControlView
from portal.extensions import db
from portal.models import Offer, OfferAccess, Partner, TrafficControl, TrafficControlOffer, TrafficControlPartner
from portal.queries import offer_access


def _offer_ids(control_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    if control_ids:
        for control_id, offer_id in db.session.execute(
                select(TrafficControlOffer.traffic_control_id, TrafficControlOffer.offer_id)
                .where(TrafficControlOffer.traffic_control_id.in_(control_ids))):
            found[control_id].add(offer_id)
    return found


def _partner_ids(control_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    if control_ids:
        for control_id, partner_id in db.session.execute(
                select(TrafficControlPartner.traffic_control_id, TrafficControlPartner.partner_id)
                .where(TrafficControlPartner.traffic_control_id.in_(control_ids))):
            found[control_id].add(partner_id)
    return found


def enforced_rules(now: datetime) -> tuple[Rule, ...]:
    """Every active rule not yet past its end, in id order, as the tracker applies them (three queries)."""
    controls = db.session.scalars(select(TrafficControl).where(
        TrafficControl.status == "active",
        or_(TrafficControl.date_valid_to.is_(None), TrafficControl.date_valid_to > now))
        .order_by(TrafficControl.id)).all()
    ids = [c.id for c in controls]
    offers, partners = _offer_ids(ids), _partner_ids(ids)
    return tuple(Rule(c.id, c.control_type, c.variable, c.comparison_method,
                      tuple(v for v in (c.values or []) if isinstance(v, str)),
                      None if c.is_apply_all_offers else frozenset(offers[c.id]),
                      None if c.is_apply_all_affiliates else frozenset(partners[c.id]),
                      c.date_valid_from, c.date_valid_to) for c in controls)


# --- the staff console -------------------------------------------------------------------------------------

def controls(status: str | None = None) -> list[TrafficControl]:
    stmt = select(TrafficControl).order_by(TrafficControl.id.desc())
    if status:
        stmt = stmt.where(TrafficControl.status == status)
    return list(db.session.scalars(stmt))


def control(control_id: int) -> TrafficControl | None:
    return db.session.get(TrafficControl, control_id)


def scope_of(control_ids: list[int]) -> tuple[dict[int, list[tuple[int, str]]], dict[int, list[tuple[int, str]]]]:
    """The offers and partners each rule names, as (id, name), for the console."""
    offers: dict[int, list[tuple[int, str]]] = defaultdict(list)
    partners: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if control_ids:
        for control_id, offer_id, name in db.session.execute(
                select(TrafficControlOffer.traffic_control_id, Offer.id, Offer.name)
                .join(Offer, Offer.id == TrafficControlOffer.offer_id)
                .where(TrafficControlOffer.traffic_control_id.in_(control_ids)).order_by(Offer.id)):
            offers[control_id].append((offer_id, name))
        for control_id, partner_id, name in db.session.execute(
                select(TrafficControlPartner.traffic_control_id, Partner.id, Partner.name)
                .join(Partner, Partner.id == TrafficControlPartner.partner_id)
                .where(TrafficControlPartner.traffic_control_id.in_(control_ids)).order_by(Partner.id)):
            partners[control_id].append((partner_id, name))
    return offers, partners


# --- a partner's rules (the affiliate façade) ----------------------------------------------------------------

def for_partner(partner_id: int, now: datetime) -> list[TrafficControlView]:
    """The active rules that apply to the partner (for all partners, or naming it) and have not ended, newest
    first. A rule for chosen offers lists only the offers the partner may see, and is left out when it names
    none of them."""
    named = select(TrafficControlPartner.traffic_control_id).where(TrafficControlPartner.partner_id == partner_id)
    found = db.session.scalars(select(TrafficControl).where(
        TrafficControl.status == "active",
        or_(TrafficControl.date_valid_to.is_(None), TrafficControl.date_valid_to > now),
        or_(TrafficControl.is_apply_all_affiliates.is_(True), TrafficControl.id.in_(named)))
        .order_by(TrafficControl.id.desc())).all()
    chosen = [c.id for c in found if not c.is_apply_all_offers]
    visible: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if chosen:
        rows = db.session.execute(
            select(TrafficControlOffer.traffic_control_id, Offer.id, Offer.name)
            .join(Offer, Offer.id == TrafficControlOffer.offer_id)
            .outerjoin(OfferAccess, (OfferAccess.offer_id == Offer.id) & (OfferAccess.partner_id == partner_id))
            .where(TrafficControlOffer.traffic_control_id.in_(chosen), offer_access.visible(partner_id, now))
            .order_by(Offer.id))
        for control_id, offer_id, name in rows:
            visible[control_id].append((offer_id, name))
    return [TrafficControlView(c.id, c.name, c.status, c.control_type, c.variable, c.comparison_method,
                               tuple(v for v in (c.values or []) if isinstance(v, str)), bool(c.is_apply_all_offers),
                               tuple(visible[c.id]), c.date_valid_from, c.date_valid_to, c.created_at, c.updated_at)
            for c in found if c.is_apply_all_offers or visible[c.id]]
