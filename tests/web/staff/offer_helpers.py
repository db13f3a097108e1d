"""Shared pieces of the staff offers tests: a valid offer form, real images, audit counts."""

from __future__ import annotations

import io
import random

from PIL import Image
from sqlalchemy import func, select

from portal.models import AuditEvent


def offer_form(**overrides) -> dict:
    form = {"name": "Test Offer", "status": "active", "visibility": "public", "category": "Software",
            "description": "<p>Great <b>offer</b></p>", "preview_url": "https://advertiser.example/",
            "destination_url": "https://advertiser.example/landing?click={transaction_id}&a={affiliate_id}",
            "payout_type": "flat", "payout": "12.50", "network_revenue": "20.00", "currency": "usd",
            "allowed_countries": "us, ca", "restrictions": "No incentivised traffic.", "fallback_url": "",
            "live_until": "", **{f"{p}_{k}_cap": "0" for k in ("conversion", "click")
                                 for p in ("daily", "weekly", "monthly", "global")}}
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def png(width: int = 300, height: int = 250, noise: bool = False, fmt: str = "PNG") -> bytes:
    """A real image; with noise it barely compresses (a large upload)."""
    picture = Image.new("RGB", (width, height), (40, 120, 200))
    if noise:
        rng = random.Random(7)
        picture = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    picture.save(out, fmt)
    return out.getvalue()


def audits(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def offer_objects(db, store, partner, offer) -> dict:
    """One of everything the offers console shows, on `offer`, for walking its routes with real ids: a stored
    thumbnail, a landing page, a banner with its file, a coupon code and a product feed, and `partner`'s
    pending application."""
    from portal.models import CouponCode, Creative, OfferAccess, OfferUrl, ProductFeed

    banner = png(30, 20)
    offer.thumbnail_key = store.save(io.BytesIO(banner), ".png")
    url = OfferUrl(offer_id=offer.id, name="Pricing", destination_url="https://advertiser.example/pricing")
    creative = Creative(offer_id=offer.id, name="Banner", creative_type="image", file_key=store.save(
        io.BytesIO(banner), ".png"), filename="banner.png", content_type="image/png", file_size=len(banner),
        width=30, height=20)
    coupon = CouponCode(offer_id=offer.id, partner_id=partner.id, code=f"SAVE{offer.id}")
    feed = ProductFeed(offer_id=offer.id, name="Catalogue", file_key=store.save(io.BytesIO(b"sku\n1\n"), ".csv"),
                       filename="feed.csv", content_type="text/csv", file_size=6)
    access = OfferAccess(partner_id=partner.id, offer_id=offer.id, status="pending", application_note="Please")
    db.session.add_all([url, creative, coupon, feed, access])
    db.session.commit()
    return {"offer_id": offer.id, "url_id": url.id, "creative_id": creative.id, "coupon_id": coupon.id,
            "feed_id": feed.id, "access_id": access.id}
