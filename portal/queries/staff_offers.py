"""Offer reads for the staff console (not partner-scoped: staff see every offer and every partner's access).

An object is found through its offer (`creative(offer_id, creative_id)`), so an id under the wrong offer is
not found."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import CouponCode, Creative, Offer, OfferAccess, OfferUrl, Partner, ProductFeed

PAGE = 200


def offers(status: str | None = None) -> list[tuple[Offer, int]]:
    """Offers, newest first, each with its count of pending applications."""
    pending = (select(OfferAccess.offer_id, func.count().label("n")).where(OfferAccess.status == "pending")
               .group_by(OfferAccess.offer_id).subquery())
    stmt = (select(Offer, func.coalesce(pending.c.n, 0)).outerjoin(pending, pending.c.offer_id == Offer.id)
            .order_by(Offer.id.desc()).limit(PAGE))
    if status:
        stmt = stmt.where(Offer.status == status)
    return [(offer, count) for offer, count in db.session.execute(stmt)]


def offer(offer_id: int) -> Offer | None:
    return db.session.get(Offer, offer_id)


def landing_pages(offer_id: int) -> list[OfferUrl]:
    return list(db.session.scalars(select(OfferUrl).where(OfferUrl.offer_id == offer_id).order_by(OfferUrl.id)))


def landing_page(offer_id: int, url_id: int) -> OfferUrl | None:
    return db.session.scalar(select(OfferUrl).where(OfferUrl.offer_id == offer_id, OfferUrl.id == url_id))


def creatives(offer_id: int) -> list[Creative]:
    return list(db.session.scalars(select(Creative).where(Creative.offer_id == offer_id).order_by(Creative.id)))


def creative(offer_id: int, creative_id: int) -> Creative | None:
    return db.session.scalar(select(Creative).where(Creative.offer_id == offer_id, Creative.id == creative_id))


def coupons(offer_id: int) -> list[tuple[CouponCode, Partner]]:
    stmt = (select(CouponCode, Partner).join(Partner, Partner.id == CouponCode.partner_id)
            .where(CouponCode.offer_id == offer_id).order_by(CouponCode.code))
    return [tuple(row) for row in db.session.execute(stmt)]


def coupon(offer_id: int, coupon_id: int) -> CouponCode | None:
    return db.session.scalar(select(CouponCode).where(CouponCode.offer_id == offer_id, CouponCode.id == coupon_id))


def feeds(offer_id: int) -> list[ProductFeed]:
    return list(db.session.scalars(select(ProductFeed).where(ProductFeed.offer_id == offer_id)
                                   .order_by(ProductFeed.id)))


def feed(offer_id: int, feed_id: int) -> ProductFeed | None:
    return db.session.scalar(select(ProductFeed).where(ProductFeed.offer_id == offer_id, ProductFeed.id == feed_id))


def offer_access(offer_id: int) -> list[tuple[OfferAccess, Partner]]:
    """Every partner with a standing on the offer (applied, granted, blocked, or a payout override)."""
    stmt = (select(OfferAccess, Partner).join(Partner, Partner.id == OfferAccess.partner_id)
            .where(OfferAccess.offer_id == offer_id).order_by(Partner.name, Partner.id))
    return [tuple(row) for row in db.session.execute(stmt)]


def partner_access(partner_id: int) -> list[tuple[OfferAccess, Offer]]:
    stmt = (select(OfferAccess, Offer).join(Offer, Offer.id == OfferAccess.offer_id)
            .where(OfferAccess.partner_id == partner_id).order_by(Offer.name, Offer.id))
    return [tuple(row) for row in db.session.execute(stmt)]


def pending_applications() -> list[tuple[OfferAccess, Offer, Partner]]:
    """The applications queue, oldest first."""
    stmt = (select(OfferAccess, Offer, Partner).join(Offer, Offer.id == OfferAccess.offer_id)
            .join(Partner, Partner.id == OfferAccess.partner_id).where(OfferAccess.status == "pending")
            .order_by(OfferAccess.applied_at, OfferAccess.id).limit(PAGE))
    return [tuple(row) for row in db.session.execute(stmt)]


def application(access_id: int) -> OfferAccess | None:
    """A pending application; a decided one (or an unknown id) is not found."""
    return db.session.scalar(select(OfferAccess).where(OfferAccess.id == access_id,
                                                       OfferAccess.status == "pending"))


def offer_options() -> list[tuple[int, str]]:
    """(id, "#id name") of every offer that is not deleted, for the partner page's access form."""
    rows = db.session.execute(select(Offer.id, Offer.name).where(Offer.status != "deleted").order_by(Offer.id))
    return [(offer_id, f"#{offer_id} {name}") for offer_id, name in rows]
