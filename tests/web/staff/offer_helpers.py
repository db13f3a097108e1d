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
