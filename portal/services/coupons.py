"""Staff assign an offer's coupon codes to partners (a code is unique within its offer, ignoring case) and
change their dates and status; every change audited."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import CouponCode, Offer, Partner
from portal.services import audit

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,99}")


class CouponError(ValueError):
    """A coupon code that cannot be saved; the message names the field."""


def _checked(offer: Offer, coupon: CouponCode | None, values: dict) -> dict:
    code = (values.get("code") or "").strip()
    if not CODE.fullmatch(code):
        raise CouponError("code: 1 to 100 letters, digits, - or _, starting with a letter or digit")
    # Ignoring case, as the intake compares codes: SAVE10 and save10 must not credit two partners.
    taken = db.session.scalars(select(CouponCode.id).where(CouponCode.offer_id == offer.id,
                                                           func.lower(CouponCode.code) == func.lower(code)))
    if any(coupon is None or found != coupon.id for found in taken):
        raise _taken(code)
    partner = db.session.get(Partner, values.get("partner_id") or 0)
    if partner is None:
        raise CouponError("partner_id: no such partner")
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        raise CouponError("end_date: on or after the start date")
    if values.get("status") not in ("active", "paused"):
        raise CouponError("status: active or paused")
    return {"code": code, "partner_id": partner.id, "start_date": start, "end_date": end,
            "status": values["status"], "description": (values.get("description") or "").strip()}


def _taken(code: str) -> CouponError:
    return CouponError(f"code: {code} is already a coupon code of this offer")


def save_coupon(offer: Offer, coupon: CouponCode | None, values: dict, actor, *, ip: str | None = None) -> CouponCode:
    """Add (coupon None) or edit one coupon code of the offer."""
    columns = _checked(offer, coupon, values)
    try:
        coupon = _write(offer, coupon, columns, actor, ip)
        db.session.commit()
    except IntegrityError:
        # Another request saved the same code between the check and this write (the offer/code unique
        # constraint): the same answer as the check's, not a 500.
        db.session.rollback()
        raise _taken(columns["code"]) from None
    return coupon


def _write(offer: Offer, coupon: CouponCode | None, columns: dict, actor, ip: str | None) -> CouponCode:
    if coupon is None:
        coupon = CouponCode(offer_id=offer.id, **columns)
        db.session.add(coupon)
        db.session.flush()
        audit.record("coupon_code.created", actor=actor, target=coupon, ip=ip,
                     detail={"offer_id": offer.id, "code": coupon.code, "partner_id": coupon.partner_id})
    else:
        changed = {k: {"from": str(getattr(coupon, k)), "to": str(v)} for k, v in columns.items()
                   if getattr(coupon, k) != v}
        for name, value in columns.items():
            setattr(coupon, name, value)
        if changed:
            audit.record("coupon_code.updated", actor=actor, target=coupon, ip=ip,
                         detail={"offer_id": offer.id, **changed})
    return coupon
