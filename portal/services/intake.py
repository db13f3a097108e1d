"""Conversion intake: record a conversion from an advertiser's or tracker's postback, exactly once.

One call is one unit of work: the conversion row, its report rollup increments and its outbox rows are
committed together, and the caller answers only after that commit. Idempotency comes from the unique
`conversions.intake_key` and `INSERT … ON CONFLICT DO NOTHING`: however many copies of a postback arrive,
and however concurrently, one insert wins and every copy reads back the same conversion. Only the winner
counts the conversion in the rollups and queues its postbacks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.delivery.outbox import enqueue_for_conversion
from portal.extensions import db
from portal.models import (CONVERSION_STATUSES, SETTINGS_ROW_ID, Click, Conversion, CouponCode, NetworkSettings, Offer,
                           OfferAccess, Partner)
from portal.models.base import utcnow
from portal.models.offers import partner_payout, payout_for
from portal.queries.offer_access import is_runnable
from portal.services import audit, rollups
from portal.services.clicks import TRAFFIC_CONTROL

TOKEN_BYTES = 32  # a generated token: 256 random bits, url-safe
MIN_TOKEN_LENGTH = 16  # an operator-chosen token shorter than this is refused


class IntakeError(Exception):
    """A postback that cannot be recorded; `status` is the HTTP answer, the message names the problem."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


@dataclass(frozen=True)
class IntakeRequest:
    """A postback's values, parsed and checked for shape at the HTTP edge (portal.tracking.params)."""

    transaction_id: str | None = None
    affiliate_id: int | None = None
    offer_id: int | None = None
    sale_amount_cents: int = 0
    event_name: str | None = None
    order_id: str | None = None
    status: str | None = None  # None: approved, or on_hold when the offer has a holding period
    coupon_code: str | None = None
    is_test: bool = False
    earns: bool = True  # False: no payout and no network revenue (the Network API's test transactions)
    # A Network API transaction's key: the conversion is that transaction's, whatever its offer or order id.
    network_api_key: str | None = None


@dataclass(frozen=True)
class IntakeResult:
    # Copied before the commit, so that answering needs no second trip to the database.
    conversion_id: str
    status: str
    created: bool  # False: this postback had been recorded before; nothing changed


@dataclass(frozen=True)
class TokenScope:
    """What a presented token may record: every offer (the network's token) or some offers only."""

    network: bool
    offer_ids: frozenset[int] = frozenset()

    def allows(self, offer_id: int) -> bool:
        return self.network or offer_id in self.offer_ids


def hash_token(token: str) -> str:
    """SHA-256 hex: tokens are high-entropy secrets, so a fast unsalted hash is enough to keep them out
    of the database while still letting the intake find an offer's token by equality."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def authenticate(token: str) -> TokenScope:
    """The scope of a presented token; IntakeError 401 when it is missing or matches nothing."""
    if not token:
        raise IntakeError("token: required (the network's or the offer's intake token)", 401)
    digest = hash_token(token)
    settings = db.session.get(NetworkSettings, SETTINGS_ROW_ID)
    network_hash = settings.intake_token_hash if settings is not None else None
    if network_hash and hmac.compare_digest(network_hash, digest):
        return TokenScope(network=True)
    offer_ids = frozenset(
        offer_id for offer_id, stored in db.session.execute(
            select(Offer.id, Offer.intake_token_hash).where(Offer.intake_token_hash == digest))
        if stored and hmac.compare_digest(stored, digest))
    if not offer_ids:
        raise IntakeError("token: not recognised", 401)
    return TokenScope(network=False, offer_ids=offer_ids)


def record_conversion(request: IntakeRequest, scope: TokenScope) -> IntakeResult:
    """Resolve the click or partner and offer within the token's scope (see `authenticate`), and record
    the conversion once; commits."""
    click, partner_id, offer = _resolve(request, scope)
    key = intake_key(request, offer.id)
    row = _conversion_row(request, click, partner_id, offer, key)

    session = db.session
    table = Conversion.__table__
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (insert(table).values(**row)
            .on_conflict_do_nothing(index_elements=[table.c.intake_key])
            .returning(table.c.id))
    inserted_id = session.execute(stmt).scalar_one_or_none()
    # Read back by key: the row this call inserted, or the one an earlier (or concurrent, now committed)
    # copy of the same postback inserted.
    conversion = session.scalars(select(Conversion).where(Conversion.intake_key == key)).one()
    created = inserted_id is not None
    if not created and conversion.partner_id != partner_id:
        # Without a click the key is the offer's order id: another affiliate's copy is a conflict, not a
        # duplicate to answer with the first affiliate's conversion.
        raise IntakeError(f"order_id: {request.order_id!r} is already recorded on offer {offer.id} "
                          "for another affiliate", 409)
    if created:
        delta = rollups.RollupDelta()
        delta.conversion(conversion)
        rollups.apply(session, delta)
        enqueue_for_conversion(session, conversion, offer)
    result = IntakeResult(conversion_id=conversion.conversion_id, status=conversion.status, created=created)
    session.commit()
    return result


def intake_key(request: IntakeRequest, offer_id: int) -> str:
    """What makes two postbacks the same conversion: the click and event, or (with no click) the offer,
    order id and event; for a Network API transaction, its mode and key. Hashed over a JSON array so that no choice of values can make two different
    tuples collide (a plain `a:b:c` join can), and so that the key has a fixed length."""
    if request.network_api_key is not None:
        # Its own namespace: no postback to the public intake can produce it, and the offer is not part of
        # it, so a retried transaction cannot become a second conversion on another offer.
        kind, parts = "napi", ["napi", bool(request.is_test), request.network_api_key]
    elif request.transaction_id:
        kind, parts = "txn", ["txn", request.transaction_id, request.event_name or ""]
    else:
        kind, parts = "order", ["order", offer_id, request.order_id or "", request.event_name or ""]
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()
    return f"{kind}:{digest}"


def _resolve(request: IntakeRequest, scope: TokenScope) -> tuple[Click | None, int, Offer]:
    """The click (if any), the partner id and the offer of the conversion, checked against each other."""
    if request.transaction_id:
        click = db.session.scalar(select(Click).where(Click.transaction_id == request.transaction_id))
        if click is None:
            raise IntakeError(f"transaction_id: no click has transaction id {request.transaction_id!r}", 404)
        # Scope first, so that an offer's token learns nothing about other offers' clicks.
        _check_scope(scope, click.offer_id, "this click's offer")
        if request.offer_id is not None and request.offer_id != click.offer_id:
            raise IntakeError(f"offer_id: the click {request.transaction_id!r} is for offer {click.offer_id}, "
                              f"not offer {request.offer_id}", 422)
        if request.affiliate_id is not None and request.affiliate_id != click.partner_id:
            raise IntakeError(f"affiliate_id: the click {request.transaction_id!r} belongs to affiliate "
                              f"{click.partner_id}, not affiliate {request.affiliate_id}", 422)
        if click.error_code == TRAFFIC_CONTROL:
            # The tracker refused this traffic (an invalid click, sent to the fallback): a sale after it is not
            # the partner's to be paid for. Refused like any conversion the partner may not earn, so nothing is
            # recorded, counted or sent on, and a retried postback is refused the same way.
            raise IntakeError(f"transaction_id: the click {request.transaction_id!r} was blocked by traffic control "
                              f"{click.traffic_control_id}; a conversion on a blocked click is not credited", 422)
        offer = _usable(db.session.get(Offer, click.offer_id), click.offer_id)
        if request.coupon_code:
            _check_click_coupon(request, click, offer)
        return click, click.partner_id, offer

    if request.offer_id is None or (request.affiliate_id is None and not request.coupon_code):
        raise IntakeError("transaction_id: required (or offer_id with affiliate_id or one of the offer's coupon "
                          "codes when there is no click)")
    if not request.order_id:
        raise IntakeError("order_id: required when there is no transaction_id, so that a repeated postback "
                          "is recognised as the same conversion")
    _check_scope(scope, request.offer_id, f"offer {request.offer_id}")
    offer = _usable(db.session.get(Offer, request.offer_id), request.offer_id)
    partner_id = _coupon_partner(request, offer) if request.coupon_code else request.affiliate_id
    if db.session.get(Partner, partner_id) is None:
        raise IntakeError(f"affiliate_id: no affiliate has id {partner_id}", 404)
    return None, partner_id, offer


def _offer_codes(offer: Offer, code: str) -> list[CouponCode]:
    """The offer's codes equal to `code` ignoring case: a shopper types SAVE10 or save10 alike. Staff cannot
    save two such codes (services.coupons), but rows from before that rule may differ only in case."""
    return list(db.session.scalars(select(CouponCode).where(CouponCode.offer_id == offer.id,
                                                            func.lower(CouponCode.code) == func.lower(code))
                                   .order_by(CouponCode.id)))


def _active(coupon: CouponCode) -> bool:
    today = utcnow().date()
    return (coupon.status == "active" and (coupon.start_date is None or coupon.start_date <= today)
            and (coupon.end_date is None or today <= coupon.end_date))


def _check_click_coupon(request: IntakeRequest, click: Click, offer: Offer) -> None:
    """A click and an active code of the offer that credit two different affiliates: which one earns is the
    advertiser's call, not ours, so nothing is recorded until the postback says."""
    owners = {coupon.partner_id for coupon in _offer_codes(offer, request.coupon_code) if _active(coupon)}
    if owners and click.partner_id not in owners:
        raise IntakeError(f"coupon_code: {request.coupon_code!r} belongs to another affiliate than the click "
                          f"{request.transaction_id!r} (affiliate {click.partner_id}); send it without "
                          "transaction_id to credit the code's affiliate, or without coupon_code to credit "
                          "the click's", 422)


def _coupon_partner(request: IntakeRequest, offer: Offer) -> int:
    """The affiliate a click-less conversion is credited to when it carries a coupon code of the offer: the
    code's own, while the code is active and within its dates and its affiliate is active and may run the
    offer now; a code of another affiliate than the one named is refused."""
    codes = _offer_codes(offer, request.coupon_code)
    if request.affiliate_id is not None:
        if codes and all(coupon.partner_id != request.affiliate_id for coupon in codes):
            # Whatever its status: the code was handed to one affiliate, and a sale with it is not another's.
            raise IntakeError(f"coupon_code: {request.coupon_code!r} belongs to another affiliate than affiliate "
                              f"{request.affiliate_id}", 422)
        return request.affiliate_id  # the affiliate's own code (or an unknown one): the affiliate named
    owners = {coupon.partner_id for coupon in codes if _active(coupon)}
    if not owners:
        raise IntakeError(f"coupon_code: {request.coupon_code!r} is not an active coupon code of offer {offer.id} "
                          "today (or send affiliate_id)", 422)
    if len(owners) > 1:
        raise IntakeError(f"coupon_code: {request.coupon_code!r} matches codes of several affiliates on offer "
                          f"{offer.id} (they differ only in case); send affiliate_id", 422)
    partner_id = owners.pop()
    partner = db.session.get(Partner, partner_id)
    if partner.status != "active":
        raise IntakeError(f"coupon_code: {request.coupon_code!r} belongs to affiliate {partner_id}, whose account "
                          f"is {partner.status}, not active", 422)
    if not is_runnable(partner_id, offer.id, utcnow()):
        raise IntakeError(f"coupon_code: {request.coupon_code!r} belongs to affiliate {partner_id}, who cannot run "
                          f"offer {offer.id} now (it is not active, or not approved for or blocked to that "
                          "affiliate)", 422)
    return partner_id


def _check_scope(scope: TokenScope, offer_id: int, what: str) -> None:
    if not scope.allows(offer_id):
        raise IntakeError(f"token: not valid for {what} (use that offer's token or the network's)", 403)


def _usable(offer: Offer | None, offer_id: int) -> Offer:
    if offer is None:
        raise IntakeError(f"offer_id: no offer has id {offer_id}", 404)
    if offer.status == "deleted":
        raise IntakeError(f"offer_id: offer {offer_id} is deleted and takes no conversions", 422)
    return offer


def network_revenue_for(offer: Offer, sale_amount_cents: int) -> int:
    """The network's revenue for one conversion: the same flat/percent rule as the payout (demo data too)."""
    if offer.payout_type == "percent":
        return (sale_amount_cents * offer.network_revenue_amount) // 10_000
    return offer.network_revenue_amount


def _conversion_row(request: IntakeRequest, click: Click | None, partner_id: int, offer: Offer,
                    key: str) -> dict:
    now = utcnow()
    status = request.status or ("on_hold" if (offer.hold_days or 0) > 0 else "approved")
    if status not in CONVERSION_STATUSES:  # the edge checks too; a service never trusts its caller
        raise IntakeError(f"status: must be one of {', '.join(CONVERSION_STATUSES)}")
    # An on-hold conversion of an offer with a holding period is approved when it ends (services.holds);
    # without one it stays on hold until staff decide.
    hold_until = now + timedelta(days=offer.hold_days) if status == "on_hold" and offer.hold_days else None
    access = db.session.scalar(select(OfferAccess).where(OfferAccess.partner_id == partner_id,
                                                         OfferAccess.offer_id == offer.id))
    # The partner's payout override wins over the offer's; a CPC rule pays per click, not here (0).
    payout_cents = payout_for(*partner_payout(offer, access), request.sale_amount_cents)
    from_click = {name: getattr(click, name) if click is not None else None
                  for name in ("sub1", "sub2", "sub3", "sub4", "sub5", "source_id",
                               "country", "device", "browser", "platform", "ip")}
    return dict(
        from_click,
        conversion_id=secrets.token_hex(16),
        transaction_id=request.transaction_id,
        partner_id=partner_id,
        offer_id=offer.id,
        event_name=request.event_name,
        status=status,
        payout_cents=payout_cents if request.earns else 0,
        network_revenue_cents=network_revenue_for(offer, request.sale_amount_cents) if request.earns else 0,
        sale_amount_cents=request.sale_amount_cents,
        currency=offer.currency,
        order_id=request.order_id,
        coupon_code=request.coupon_code,
        is_test=bool(request.is_test or (click is not None and click.is_test)),
        hold_until=hold_until,
        intake_key=key,
        click_created_at=click.created_at if click is not None else None,
        created_at=now,
    )


def set_intake_token(token: str | None = None, offer: Offer | None = None, actor=None) -> str:
    """Store (the hash of) a new intake token for the network or one offer and return it; audited.

    The previous token stops working at once. Without a token, a random one is generated."""
    if token is None:
        token = secrets.token_urlsafe(TOKEN_BYTES)
    token = token.strip()
    if len(token) < MIN_TOKEN_LENGTH:
        raise IntakeError(f"token: at least {MIN_TOKEN_LENGTH} characters (or let one be generated)")
    if offer is not None:
        offer.intake_token_hash = hash_token(token)
        target, detail = offer, {"offer_id": offer.id}
    else:
        settings = db.session.get(NetworkSettings, SETTINGS_ROW_ID)
        if settings is None:
            raise LookupError("network settings row is missing; run `flask --app wsgi db upgrade` first")
        settings.intake_token_hash = hash_token(token)
        target, detail = settings, {"scope": "network"}
    audit.record("intake_token.set", actor=actor, target=target, detail=detail)
    db.session.commit()
    return token
