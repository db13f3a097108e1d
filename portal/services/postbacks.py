"""A partner's postback changes: create, replace, delete, queue a test; each in one commit. And the manual send.

Values come checked (portal.affiliate.postback_rules); every function takes the partner id first and finds
nothing (None / False) for a missing, deleted or another partner's postback.

Deleting a postback keeps it and its log (status "deleted", invisible to the partner) and turns its pending
deliveries dead with a reason; turning one off does the same to its pending deliveries; turning one back
on clears the failure streak and the reason it was turned off.

Create, update and delete each record an audit event in the same commit: who (a partner user or an API
key, portal.domain.actors.Actor; none for the network's own changes), from where, which
fields changed and where the postback sends to. Only the destination's host is kept: the rest of a URL
often carries the partner's tracking tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from portal.delivery import outbox
from portal.domain.actors import Actor
from portal.extensions import db
from portal.models import Partner, Postback, PostbackAttempt, PostbackDelivery
from portal.models.base import utcnow
from portal.models.postbacks import POSTBACK_DELETED
from portal.queries import postbacks as postback_queries
from portal.services import audit

TEST_HANDOFF = timedelta(seconds=60)
DELETED_REASON = "The postback was deleted"
TURNED_OFF_REASON = "The postback was turned off"


def create_postback(partner_id: int, values: Mapping[str, object], limit: int,
                    actor: Actor | None = None) -> int | None:
    """A new postback with these column values; its id, or None when the partner already has `limit`.

    The partner's row is locked first on PostgreSQL, so that concurrent creations count one after the
    other and the cap holds (SQLite has one writer: a second writer fails instead of overtaking)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Partner.id).where(Partner.id == partner_id).with_for_update())
    if postback_queries.count(partner_id) >= limit:
        db.session.rollback()
        return None
    row = Postback(partner_id=partner_id, consecutive_failures=0, **values)
    db.session.add(row)
    db.session.flush()  # the id, for the audit event
    _audit("postback.created", row, actor, {
        "offer_id": row.offer_id, "delivery_method": row.delivery_method, "status": row.status,
        "destination": destination(row.url) if row.delivery_method == "postback" else None,
    })
    db.session.commit()
    return row.id


def update_postback(partner_id: int, postback_id: int, values: Mapping[str, object],
                    actor: Actor | None = None) -> bool:
    """Replace every field the partner controls; the failure bookkeeping is the server's own."""
    row = postback_queries.one(partner_id, postback_id)
    if row is None:
        return False
    was_active, previous_status = row.status == "active", row.status
    changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    before = destination(row.url)
    for name, value in values.items():
        setattr(row, name, value)
    if changed:
        detail: dict[str, Any] = {"changed": changed}
        if "status" in changed:
            detail["status"] = {"from": previous_status, "to": row.status}
        if destination(row.url) != before:
            detail["destination"] = {"from": before, "to": destination(row.url)}
        _audit("postback.updated", row, actor, detail)
    if row.status == "active" and not was_active:
        # Back on: the streak that turned it off (or the partner's pause) starts over.
        row.consecutive_failures, row.first_failure_at = 0, None
        row.disabled_at, row.disabled_reason = None, None
    elif was_active and row.status != "active":
        _bury_pending(row.id, TURNED_OFF_REASON)
    row.updated_at = utcnow()
    db.session.commit()
    return True


def delete_postback(partner_id: int, postback_id: int, actor: Actor | None = None) -> bool:
    """Gone for the partner; the row and its delivery log stay (staff and the log need them)."""
    row = postback_queries.one(partner_id, postback_id)
    if row is None:
        return False
    row.status = POSTBACK_DELETED
    row.updated_at = utcnow()
    _bury_pending(row.id, DELETED_REASON)
    _audit("postback.deleted", row, actor, {"destination": destination(row.url)})
    db.session.commit()
    return True


def enqueue_test(partner_id: int, postback_id: int) -> int | None:
    """A "Send test" delivery (sample values, is_test 1) committed for sending right away; its id."""
    row = postback_queries.one(partner_id, postback_id)
    if row is None:
        return None
    delivery = outbox.enqueue_test(db.session, row)
    # Sent right after this by send_now; due later for the background worker, so it does not race to send
    # it too. Should the request die before sending, the worker sends it then (at least once).
    delivery.next_attempt_at = utcnow() + TEST_HANDOFF
    db.session.commit()
    return delivery.id


def send_now(partner_id: int, delivery_id: int) -> PostbackAttempt | None:
    """One manual attempt of one of the partner's deliveries, now: the worker records it and commits.

    Raises portal.delivery.worker.DeliveryError (a subclass says why) when it will not be sent.
    """
    # Imported here, not at the top: only the two manual sends need the outbound-HTTP machinery.
    from portal.delivery.worker import deliver_now

    if not postback_queries.owns_delivery(partner_id, delivery_id):
        return None
    return deliver_now(delivery_id, manual=True)


def destination(url: str | None) -> str | None:
    """The host a postback URL sends to (no path, query or credentials), for the audit log."""
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _audit(action: str, row: Postback, actor: Actor | None, detail: dict[str, Any]) -> None:
    detail = {"partner_id": row.partner_id, **detail}
    if actor is not None and actor.session_kind == "api":
        detail["api_key_id"] = actor.id
    audit.record(action, actor=actor, target=row, detail=detail, ip=actor.ip if actor else None)


def _bury_pending(postback_id: int, reason: str) -> None:
    """Pending deliveries of a postback that will not fire again end as dead, with the reason logged."""
    for delivery in db.session.scalars(select(PostbackDelivery).where(
            PostbackDelivery.postback_id == postback_id, PostbackDelivery.status == "pending")):
        # As the worker's own dead-lettering does: a worker mid-send then records its attempt without
        # rescheduling (a 2xx still marks it delivered, which is the truth).
        delivery.status, delivery.next_attempt_at, delivery.claimed_until = "dead", None, None
        delivery.last_error = reason
