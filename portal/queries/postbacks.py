"""One partner's postbacks, their delivery log, and the offers and conversions a postback form needs.

Deleted postbacks (status "deleted") are kept for the log and staff but are invisible here, as are their
deliveries and attempts: a missing, deleted and another partner's postback all find nothing.
"""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select

from portal.extensions import db
from portal.models import Conversion, Offer, Postback, PostbackAttempt, PostbackDelivery
from portal.models.base import utcnow
from portal.models.postbacks import POSTBACK_DELETED
from portal.queries import offer_access


def _own(partner_id: int) -> Select:
    return select(Postback).where(Postback.partner_id == partner_id, Postback.status != POSTBACK_DELETED)


def _own_id(partner_id: int, postback_id: int):
    """The postback's id when it is one of the partner's live postbacks, else NULL (which matches nothing)."""
    return (select(Postback.id).where(Postback.id == postback_id, Postback.partner_id == partner_id,
                                      Postback.status != POSTBACK_DELETED).scalar_subquery())


def _filtered(partner_id: int, offer_id: int | None, status: str | None, postback_type: str | None,
              delivery_method: str | None, search: str) -> Select:
    query = _own(partner_id)
    if offer_id is not None:
        query = query.where(Postback.offer_id.is_(None) if offer_id == 0 else Postback.offer_id == offer_id)
    for column, value in ((Postback.status, status), (Postback.postback_type, postback_type),
                          (Postback.delivery_method, delivery_method)):
        if value:
            query = query.where(column == value)
    if search:
        like = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(func.lower(Postback.url).like(like, escape="\\"),
                                func.lower(Postback.description).like(like, escape="\\")))
    return query


def count(partner_id: int, *, offer_id: int | None = None, status: str | None = None,
          postback_type: str | None = None, delivery_method: str | None = None, search: str = "") -> int:
    """How many of the partner's postbacks match (all of them, without filters); offer_id 0: all-offers ones."""
    query = _filtered(partner_id, offer_id, status, postback_type, delivery_method, search)
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def page(partner_id: int, offset: int, limit: int, *, offer_id: int | None = None, status: str | None = None,
         postback_type: str | None = None, delivery_method: str | None = None,
         search: str = "") -> list[tuple[Postback, str | None]]:
    """(postback, offer name) for a page of the matching postbacks, oldest first."""
    query = _filtered(partner_id, offer_id, status, postback_type, delivery_method, search)
    rows = db.session.execute(query.add_columns(Offer.name).outerjoin(Offer, Offer.id == Postback.offer_id)
                              .order_by(Postback.id).offset(offset).limit(limit))
    return [(postback, name) for postback, name in rows]


def one(partner_id: int, postback_id: int) -> Postback | None:
    return db.session.scalar(_own(partner_id).where(Postback.id == postback_id))


def with_offer_name(partner_id: int, postback_id: int) -> tuple[Postback, str | None] | None:
    """One of the partner's postbacks and the name of its offer (None: all offers)."""
    row = db.session.execute(_own(partner_id).add_columns(Offer.name).outerjoin(Offer, Offer.id == Postback.offer_id)
                             .where(Postback.id == postback_id)).first()
    return (row[0], row[1]) if row is not None else None


def deliveries(partner_id: int, postback_id: int, offset: int, limit: int, *,
               failed_only: bool = False) -> tuple[int, list[PostbackDelivery]]:
    """The total and a page of a postback's deliveries, newest first; failed: dead, or tried and pending."""
    query = select(PostbackDelivery).where(PostbackDelivery.postback_id == _own_id(partner_id, postback_id))
    if failed_only:
        query = query.where(or_(PostbackDelivery.status == "dead",
                                (PostbackDelivery.status == "pending") & (PostbackDelivery.attempts > 0)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(db.session.scalars(query.order_by(PostbackDelivery.id.desc()).offset(offset).limit(limit)))
    return total, rows


def attempts(partner_id: int, postback_id: int, delivery_ids: list[int]) -> list[PostbackAttempt]:
    """The attempts of these deliveries of one postback, oldest first."""
    if not delivery_ids:
        return []
    return list(db.session.scalars(select(PostbackAttempt).where(
        PostbackAttempt.postback_id == _own_id(partner_id, postback_id),
        PostbackAttempt.delivery_id.in_(delivery_ids)).order_by(PostbackAttempt.id)))


def delivery(partner_id: int, postback_id: int, delivery_id: int) -> PostbackDelivery | None:
    return db.session.scalar(select(PostbackDelivery).where(
        PostbackDelivery.id == delivery_id, PostbackDelivery.postback_id == _own_id(partner_id, postback_id)))


def owns_delivery(partner_id: int, delivery_id: int) -> bool:
    """Whether a delivery belongs to one of the partner's postbacks, deleted ones included."""
    return bool(db.session.scalar(select(PostbackDelivery.id).join(Postback, Postback.id == PostbackDelivery.postback_id)
                                  .where(PostbackDelivery.id == delivery_id, Postback.partner_id == partner_id)))


def attempt(partner_id: int, postback_id: int, attempt_id: int) -> PostbackAttempt | None:
    return db.session.scalar(select(PostbackAttempt).where(
        PostbackAttempt.id == attempt_id, PostbackAttempt.postback_id == _own_id(partner_id, postback_id)))


def latest_conversion(partner_id: int, offer_id: int | None = None) -> tuple[Conversion, Offer | None] | None:
    """The partner's most recent real (not test) conversion, on the offer when one is given, with its offer."""
    query = select(Conversion).where(Conversion.partner_id == partner_id, Conversion.is_test.is_(False))
    if offer_id:
        query = query.where(Conversion.offer_id == offer_id)
    conversion = db.session.scalar(query.order_by(Conversion.created_at.desc(), Conversion.id.desc()).limit(1))
    if conversion is None:
        return None
    return conversion, db.session.get(Offer, conversion.offer_id)


def runnable_offers(partner_id: int) -> list[tuple[int, str]]:
    """(id, name) of the offers the partner may run now (portal.queries.offer_access), by name."""
    query = (offer_access.offers_with_access(partner_id).with_only_columns(Offer.id, Offer.name)
             .where(offer_access.runnable(partner_id, utcnow())).order_by(Offer.name, Offer.id))
    return [(offer_id, name) for offer_id, name in db.session.execute(query)]


def offer_runnable(partner_id: int, offer_id: int) -> bool:
    """Whether one offer is among runnable_offers (an unknown offer is simply not runnable)."""
    return offer_access.is_runnable(partner_id, offer_id, utcnow())