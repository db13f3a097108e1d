"""Offer reads: the staff console's choices, and a partner's visible and runnable offers with what they carry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, and_, case, cast, func, or_, select

from portal.extensions import db
from portal.models import CouponCode, Creative, Offer, OfferAccess, OfferUrl, ProductFeed
from portal.queries import offer_access


def offer_choices(keep: int | None = None) -> list[tuple[int, str]]:
    """(id, "#id name") of the active offers, for a select; `keep` (the one chosen now) is listed whatever
    its status, marked, so that saving the form keeps it until someone picks another."""
    rows = db.session.execute(select(Offer.id, Offer.name, Offer.status)
                              .where(or_(Offer.status == "active", Offer.id == keep)).order_by(Offer.id))
    return [(offer_id, f"#{offer_id} {name}" + ("" if status == "active" else f" ({status})"))
            for offer_id, name, status in rows]


# --- a partner's offers (the affiliate façade); the rule is offer_access's, never written again here ------

def _access(partner_id: int):
    # The same outer join as offer_access.offers_with_access, for selects that start from another table.
    return and_(OfferAccess.offer_id == Offer.id, OfferAccess.partner_id == partner_id)


def _runnable_flag(partner_id: int, now: datetime):
    return case((offer_access.runnable(partner_id, now), True), else_=False)


def _listed(partner_id: int, now: datetime, search: str | None, category: str | None, status: str | None,
            mine: bool):
    conditions = [offer_access.visible(partner_id, now)]
    if mine:
        conditions.append(offer_access.runnable(partner_id, now))
    if status:
        conditions.append(Offer.status == status)
    if category:
        conditions.append(Offer.category == category)
    if search:
        needle = f"%{_escape_like(search.lower())}%"
        conditions.append(or_(func.lower(Offer.name).like(needle, escape="\\"),
                              cast(Offer.id, String) == search.strip()))
    return and_(*conditions)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def visible_page(partner_id: int, now: datetime, *, search: str | None = None, category: str | None = None,
                 status: str | None = None, mine: bool = False, offset: int = 0,
                 limit: int = 50) -> tuple[int, list[tuple[Offer, OfferAccess | None, bool]]]:
    """(total, page of (offer, the partner's access row, runnable)) of the offers the partner may see, by id."""
    where = _listed(partner_id, now, search, category, status, mine)
    total = db.session.scalar(select(func.count()).select_from(Offer)
                              .outerjoin(OfferAccess, _access(partner_id)).where(where))
    rows = db.session.execute(
        offer_access.offers_with_access(partner_id).add_columns(_runnable_flag(partner_id, now))
        .where(where).order_by(Offer.id).offset(offset).limit(limit)).all()
    return total or 0, [(offer, access, bool(flag)) for offer, access, flag in rows]


def visible_categories(partner_id: int, now: datetime) -> list[str]:
    stmt = (select(Offer.category).distinct().outerjoin(OfferAccess, _access(partner_id))
            .where(offer_access.visible(partner_id, now), Offer.category != "").order_by(Offer.category))
    return list(db.session.scalars(stmt))


def visible_one(partner_id: int, offer_id: int, now: datetime) -> tuple[Offer, OfferAccess | None, bool] | None:
    row = db.session.execute(
        offer_access.offers_with_access(partner_id).add_columns(_runnable_flag(partner_id, now))
        .where(Offer.id == offer_id, offer_access.visible(partner_id, now))).first()
    return (row[0], row[1], bool(row[2])) if row is not None else None


def landing_pages(offer_id: int) -> list[OfferUrl]:
    """The offer's active extra landing pages (url_id ≥ 1), by id."""
    return list(db.session.scalars(select(OfferUrl).where(OfferUrl.offer_id == offer_id,
                                                          OfferUrl.status == "active").order_by(OfferUrl.id)))


def active_creatives(offer_id: int) -> list[Creative]:
    return list(db.session.scalars(select(Creative).where(Creative.offer_id == offer_id,
                                                          Creative.status == "active").order_by(Creative.id)))


def runnable_creative(partner_id: int, offer_id: int, creative_id: int, now: datetime) -> Creative | None:
    stmt = (select(Creative).join(Offer, Offer.id == Creative.offer_id)
            .outerjoin(OfferAccess, _access(partner_id))
            .where(Creative.id == creative_id, Creative.offer_id == offer_id, Creative.status == "active",
                   offer_access.runnable(partner_id, now)))
    return db.session.scalar(stmt)


def _coupons(partner_id: int, now: datetime, offer_id: int | None):
    stmt = (select(CouponCode, Offer.name).join(Offer, Offer.id == CouponCode.offer_id)
            .outerjoin(OfferAccess, _access(partner_id))
            .where(CouponCode.partner_id == partner_id, CouponCode.status == "active",
                   offer_access.runnable(partner_id, now)))
    return stmt if offer_id is None else stmt.where(CouponCode.offer_id == offer_id)


def coupon_page(partner_id: int, now: datetime, offset: int, limit: int,
                offer_id: int | None = None) -> tuple[int, list[tuple[CouponCode, str]]]:
    """(total, page of (code, offer name)): the partner's own active codes on offers it can run (one
    offer's when `offer_id` is given)."""
    stmt = _coupons(partner_id, now, offer_id)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.execute(stmt.order_by(CouponCode.id).offset(offset).limit(limit)).all()
    return total or 0, [(code, name) for code, name in rows]


def _feeds(partner_id: int, now: datetime, offer_ids: tuple[int, ...] | None):
    stmt = (select(ProductFeed).join(Offer, Offer.id == ProductFeed.offer_id)
            .outerjoin(OfferAccess, _access(partner_id))
            .where(ProductFeed.status == "active", offer_access.runnable(partner_id, now),
                   # Within its validity window (both ends inclusive; staff set whole UTC days).
                   or_(ProductFeed.valid_from.is_(None), ProductFeed.valid_from <= now),
                   or_(ProductFeed.valid_to.is_(None), ProductFeed.valid_to >= now)))
    return stmt.where(ProductFeed.offer_id.in_(offer_ids)) if offer_ids is not None else stmt


def feed_page(partner_id: int, now: datetime, offer_ids: tuple[int, ...] | None, offset: int,
              limit: int) -> tuple[int, list[ProductFeed]]:
    """(total, page) of the active product feeds, valid now, of the offers the partner can run (of `offer_ids`
    when given)."""
    stmt = _feeds(partner_id, now, offer_ids)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    return total or 0, list(db.session.scalars(stmt.order_by(ProductFeed.id).offset(offset).limit(limit)))


def runnable_feed(partner_id: int, feed_id: int, now: datetime) -> ProductFeed | None:
    return db.session.scalar(_feeds(partner_id, now, None).where(ProductFeed.id == feed_id))


def landing_pages_of(offer_ids: list[int]) -> dict[int, list[OfferUrl]]:
    """The active extra landing pages of several offers at once (a page of an offer list), by offer."""
    found: dict[int, list[OfferUrl]] = {offer_id: [] for offer_id in offer_ids}
    if offer_ids:
        for page in db.session.scalars(select(OfferUrl).where(OfferUrl.offer_id.in_(offer_ids),
                                                              OfferUrl.status == "active").order_by(OfferUrl.id)):
            found[page.offer_id].append(page)
    return found


def creatives_of(offer_ids: list[int]) -> dict[int, list[Creative]]:
    """The active creatives of several offers at once, by offer."""
    found: dict[int, list[Creative]] = {offer_id: [] for offer_id in offer_ids}
    if offer_ids:
        for creative in db.session.scalars(select(Creative).where(Creative.offer_id.in_(offer_ids),
                                                                  Creative.status == "active").order_by(Creative.id)):
            found[creative.offer_id].append(creative)
    return found
