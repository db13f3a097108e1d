"""Network-wide reads of affiliates (partners), offers, advertisers and postbacks for the Everflow-style Network API."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select

from portal.extensions import db
from portal.models import Advertiser, Offer, Partner, Postback
from portal.models.postbacks import POSTBACK_DELETED


def _affiliates(status: str | None, manager_ids: tuple[int, ...], search: str) -> Select:
    stmt = select(Partner)
    if status:
        stmt = stmt.where(Partner.status == status)
    if manager_ids:
        stmt = stmt.where(Partner.account_manager_id.in_(manager_ids))
    if search:
        stmt = stmt.where(func.lower(Partner.name).contains(search.lower(), autoescape=True))
    return stmt


def affiliate_page(offset: int, limit: int, *, status: str | None = None, manager_ids: tuple[int, ...] = (),
                   search: str = "") -> tuple[list[Partner], int]:
    stmt = _affiliates(status, manager_ids, search)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return list(db.session.scalars(stmt.order_by(Partner.id).offset(offset).limit(limit))), int(total)


def affiliate(affiliate_id: int) -> Partner | None:
    return db.session.get(Partner, affiliate_id)


def _offers(status: str | None, advertiser_ids: tuple[int, ...], search: str) -> Select:
    stmt = select(Offer, Advertiser).outerjoin(Advertiser, Advertiser.id == Offer.advertiser_id)
    if status:
        stmt = stmt.where(Offer.status == status)
    if advertiser_ids:
        stmt = stmt.where(Offer.advertiser_id.in_(advertiser_ids))
    if search:
        stmt = stmt.where(func.lower(Offer.name).contains(search.lower(), autoescape=True))
    return stmt


def offer_page(offset: int, limit: int, *, status: str | None = None, advertiser_ids: tuple[int, ...] = (),
               search: str = "") -> tuple[list[tuple[Offer, Advertiser | None]], int]:
    stmt = _offers(status, advertiser_ids, search)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.execute(stmt.order_by(Offer.id).offset(offset).limit(limit)).all()
    return [(offer, advertiser) for offer, advertiser in rows], int(total)


def offer(offer_id: int) -> tuple[Offer, Advertiser | None] | None:
    row = db.session.execute(select(Offer, Advertiser).outerjoin(Advertiser, Advertiser.id == Offer.advertiser_id)
                             .where(Offer.id == offer_id)).first()
    return (row[0], row[1]) if row else None


def _pixels(affiliate_ids: tuple[int, ...], offer_ids: tuple[int, ...], status: str | None, pixel_type: str | None,
            delivery_method: str | None, search: tuple[tuple[str, str], ...]) -> Select:
    stmt = select(Postback.id, Postback.partner_id).where(Postback.status != POSTBACK_DELETED)
    if affiliate_ids:
        stmt = stmt.where(Postback.partner_id.in_(affiliate_ids))
    if offer_ids:  # as Everflow's: postbacks for every offer match an offer filter too
        stmt = stmt.where(or_(Postback.offer_id.is_(None), Postback.offer_id.in_(offer_ids)))
    for column, value in ((Postback.status, status), (Postback.postback_type, pixel_type),
                          (Postback.delivery_method, delivery_method)):
        if value:
            stmt = stmt.where(column == value)
    for kind, text in search:
        if kind == "pixel_id":
            stmt = stmt.where(Postback.id == (int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0))
        elif kind == "description":
            stmt = stmt.where(func.lower(Postback.description).contains(text.lower(), autoescape=True))
        else:  # payload: the URL or the HTML code
            stmt = stmt.where(or_(func.lower(Postback.url).contains(text.lower(), autoescape=True),
                                  func.lower(Postback.html_code).contains(text.lower(), autoescape=True)))
    return stmt


def pixel_page(offset: int, limit: int, *, affiliate_ids: tuple[int, ...] = (), offer_ids: tuple[int, ...] = (),
               status: str | None = None, pixel_type: str | None = None, delivery_method: str | None = None,
               search: tuple[tuple[str, str], ...] = ()) -> tuple[list[tuple[int, int]], int]:
    """(postback id, partner id) of every partner's live postbacks, oldest first, and how many matched."""
    stmt = _pixels(affiliate_ids, offer_ids, status, pixel_type, delivery_method, search)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.execute(stmt.order_by(Postback.id).offset(offset).limit(limit)).all()
    return [(row[0], row[1]) for row in rows], int(total)


def pixel_owner(postback_id: int) -> int | None:
    """The partner whose live postback this is (None: no such postback, or deleted)."""
    return db.session.scalar(select(Postback.partner_id).where(Postback.id == postback_id,
                                                               Postback.status != POSTBACK_DELETED))
