"""Writing outbox rows: one per matching active server postback, in the caller's transaction.

The caller (conversion intake, a staff status change, "Send test") adds the rows to its session and
commits them together with the change that caused them, so a conversion never exists without its
deliveries, and deliveries never exist for a conversion that was rolled back.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.models import Conversion, Offer, Postback, PostbackDelivery
from portal.models.base import utcnow


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}"


def conversion_values(conversion: Conversion, offer: Offer | None) -> dict[str, str]:
    """The macro values of a conversion, as strings (the event id is added per delivery)."""
    earnings = _money(conversion.payout_cents or 0)
    created = conversion.created_at or utcnow()
    return {
        "transaction_id": conversion.transaction_id or "",
        "conversion_id": conversion.conversion_id or "",
        "offer_id": str(conversion.offer_id),
        "offer_name": offer.name if offer is not None else "",
        "affiliate_id": str(conversion.partner_id),
        "sub1": conversion.sub1 or "", "sub2": conversion.sub2 or "", "sub3": conversion.sub3 or "",
        "sub4": conversion.sub4 or "", "sub5": conversion.sub5 or "",
        "source_id": conversion.source_id or "",
        "revenue": earnings,
        "payout": earnings,
        "sale_amount": _money(conversion.sale_amount_cents or 0),
        "currency": conversion.currency or "",
        "event_name": conversion.event_name or "",
        "order_id": conversion.order_id or "",
        "coupon_code": conversion.coupon_code or "",
        "conversion_unix_timestamp": str(int(created.timestamp())),
        "status": conversion.status or "",
        "is_test": "1" if conversion.is_test else "0",
    }


def matching_postbacks(session: Session, conversion: Conversion, *, updates: bool = False) -> list[Postback]:
    """The partner's active server postbacks that fire for this conversion (or its status change)."""
    query = select(Postback).where(
        Postback.partner_id == conversion.partner_id,
        Postback.status == "active",
        Postback.delivery_method == "postback",
        or_(Postback.offer_id.is_(None), Postback.offer_id == conversion.offer_id),
    )
    if conversion.event_name is None:
        query = query.where(Postback.postback_type == "conversion")
    else:
        query = query.where(Postback.postback_type == "event",
                            or_(Postback.event_name.is_(None), Postback.event_name == "",
                                Postback.event_name == conversion.event_name))
    if updates:
        query = query.where(Postback.send_status_updates.is_(True))
    return list(session.scalars(query.order_by(Postback.id)))


def new_delivery(postback: Postback, values: dict[str, str], *, kind: str, event_id: str,
                 conversion_id: int | None = None, is_test: bool = False) -> PostbackDelivery:
    snapshot = dict(values, event_id=event_id)
    return PostbackDelivery(
        postback_id=postback.id, conversion_id=conversion_id, event_id=event_id, kind=kind,
        macro_values=json.dumps(snapshot, sort_keys=True), is_test=is_test, status="pending",
        attempts=0, next_attempt_at=utcnow() + timedelta(milliseconds=max(0, postback.delay_ms or 0)),
    )


def enqueue_for_conversion(session: Session, conversion: Conversion, offer: Offer | None = None, *,
                           kind: str = "conversion") -> list[PostbackDelivery]:
    """Add the deliveries for a new conversion (kind "conversion") or its status change ("update").

    A new conversion's event id is `<conversion_id>-<postback id>`: written once, unique, the same on
    every retry. Each status change gets fresh event ids. Nothing is committed here.
    """
    if conversion.id is None:
        session.flush()
    offer = offer if offer is not None else session.get(Offer, conversion.offer_id)
    values = conversion_values(conversion, offer)
    rows = []
    for postback in matching_postbacks(session, conversion, updates=kind == "update"):
        if kind == "conversion":
            event_id = f"{conversion.conversion_id}-{postback.id}"
        else:
            event_id = f"{conversion.conversion_id}-{postback.id}-{uuid.uuid4().hex[:12]}"
        rows.append(new_delivery(postback, values, kind=kind, event_id=event_id,
                                 conversion_id=conversion.id, is_test=conversion.is_test))
    session.add_all(rows)
    return rows


SAMPLE_VALUES = {
    "transaction_id": "test0000000000000000000000000000", "conversion_id": "test00000000",
    "offer_id": "0", "offer_name": "Sample offer", "sub1": "sample_sub1", "sub2": "sample_sub2",
    "sub3": "sample_sub3", "sub4": "sample_sub4", "sub5": "sample_sub5", "source_id": "sample_source",
    "revenue": "1.00", "payout": "1.00", "sale_amount": "10.00", "currency": "USD", "event_name": "",
    "order_id": "sample_order", "coupon_code": "", "status": "approved", "is_test": "1",
}


def enqueue_test(session: Session, postback: Postback) -> PostbackDelivery:
    """A "Send test" delivery with sample values (is_test 1), due now; nothing is committed here."""
    values = dict(SAMPLE_VALUES, affiliate_id=str(postback.partner_id),
                  offer_id=str(postback.offer_id or 0),
                  conversion_unix_timestamp=str(int(utcnow().timestamp())))
    delivery = new_delivery(postback, values, kind="test", event_id=f"test-{uuid.uuid4().hex}", is_test=True)
    delivery.next_attempt_at = utcnow()
    session.add(delivery)
    return delivery
