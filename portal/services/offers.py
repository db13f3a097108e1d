"""Staff create, edit, pause and resume offers and their extra landing pages; every change audited."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from portal.domain.billing import is_currency_code
from portal.extensions import db
from portal.models import Offer, OfferUrl
from portal.services import audit
from portal.services.offer_content import ContentError, clean_description, country_codes, destination_url, plain_url
from portal.services.uploads import Upload
from portal.storage import FileStore

CAP_FIELDS = tuple(f"{period}_{kind}_cap" for kind in ("conversion", "click")
                   for period in ("daily", "weekly", "monthly", "global"))
MAX_MINOR_UNITS = 10**12  # ten billion in major units: far above any payout, far below BigInteger
MAX_BASIS_POINTS = 10_000  # 100 % of the sale
STAFF_STATUSES = ("active", "paused", "expired")
# Long text is audited as "changed", not copied into every audit row.
_LONG_FIELDS = {"description", "restrictions"}


class OfferError(ValueError):
    """Offer input that cannot be saved; the message names the field."""


def minor_units(amount: Decimal | None, field: str) -> int:
    """Money in major units (12.50) → minor units (1250), exact to the cent."""
    if amount is None or not amount.is_finite():
        raise OfferError(f"{field}: a number like 12.50")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise OfferError(f"{field}: at most two decimal places")
    if not 0 <= cents <= MAX_MINOR_UNITS:
        raise OfferError(f"{field}: from 0 to {MAX_MINOR_UNITS // 100:,}")
    return int(cents)


def basis_points(percent: Decimal | None, field: str) -> int:
    """A percentage (5.25) → basis points (525)."""
    points = minor_units(percent, field)
    if points > MAX_BASIS_POINTS:
        raise OfferError(f"{field}: a percentage from 0 to 100")
    return points


def payout_amount(payout_type: str, amount: Decimal | None, field: str = "payout") -> int:
    return basis_points(amount, field) if payout_type == "percent" else minor_units(amount, field)


def shown_amount(stored: int) -> Decimal:
    """The stored amount as staff type it: major units, or a percentage for percent payouts."""
    return Decimal(stored) / 100


def _columns(values: dict) -> dict:
    """Form values → Offer columns, each checked; raises OfferError or ContentError naming the field."""
    if values["status"] not in STAFF_STATUSES:
        raise OfferError("status: active, paused or expired")
    currency = (values.get("currency") or "").strip().upper()
    if not is_currency_code(currency):
        raise OfferError("currency: a three-letter ISO 4217 code such as USD")
    columns = {
        "name": values["name"].strip(), "status": values["status"], "visibility": values["visibility"],
        "category": (values.get("category") or "").strip(), "currency": currency,
        "description": clean_description(values.get("description") or ""),
        "preview_url": plain_url(values.get("preview_url"), "preview_url"),
        "destination_url": destination_url(values.get("destination_url")),
        "payout_type": values["payout_type"],
        "payout_amount": payout_amount(values["payout_type"], values.get("payout")),
        "network_revenue_amount": payout_amount(values["payout_type"], values.get("network_revenue"),
                                                "network_revenue"),
        "allowed_countries": country_codes(values.get("allowed_countries")),
        "restrictions": (values.get("restrictions") or "").strip(),
        "deep_links_allowed": bool(values.get("deep_links_allowed")),
        "fallback_url": plain_url(values.get("fallback_url"), "fallback_url"),
        "live_until": values.get("live_until"),
    }
    if not columns["name"]:
        raise OfferError("name: required")
    for name in CAP_FIELDS:
        cap = values.get(name) or 0
        if not 0 <= cap <= 2**31 - 1:
            raise OfferError(f"{name}: a whole number from 0 (no cap) to {2**31 - 1:,}")
        columns[name] = cap
    return columns


def _jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _store_thumbnail(offer: Offer, thumbnail: Upload | None, store: FileStore | None) -> str | None:
    if thumbnail is None or store is None:
        return None
    old, offer.thumbnail_key = offer.thumbnail_key, store.save(thumbnail.stream(), thumbnail.suffix)
    return old


def create_offer(values: dict, actor, *, ip: str | None = None, thumbnail: Upload | None = None,
                 store: FileStore | None = None) -> Offer:
    try:
        offer = Offer(**_columns(values))
    except ContentError as err:
        raise OfferError(str(err)) from None
    _store_thumbnail(offer, thumbnail, store)
    db.session.add(offer)
    db.session.flush()
    audit.record("offer.created", actor=actor, target=offer, ip=ip,
                 detail={"name": offer.name, "status": offer.status, "visibility": offer.visibility,
                         "payout_type": offer.payout_type, "payout_amount": offer.payout_amount})
    db.session.commit()
    return offer


def update_offer(offer: Offer, values: dict, actor, *, ip: str | None = None, thumbnail: Upload | None = None,
                 store: FileStore | None = None) -> dict:
    """Apply the changes; returns what changed (audited as offer.updated)."""
    try:
        columns = _columns(values)
    except ContentError as err:
        raise OfferError(str(err)) from None
    changed = {}
    for name, new in columns.items():
        old = getattr(offer, name)
        if old != new:
            changed[name] = "changed" if name in _LONG_FIELDS else {"from": _jsonable(old), "to": _jsonable(new)}
            setattr(offer, name, new)
    replaced = _store_thumbnail(offer, thumbnail, store)
    if thumbnail is not None:
        changed["thumbnail"] = {"filename": thumbnail.filename, "size": thumbnail.size}
    if changed:
        audit.record("offer.updated", actor=actor, target=offer, detail=changed, ip=ip)
    db.session.commit()
    if replaced and store is not None:
        store.delete(replaced)  # after the commit: a failed save never loses the picture in use
    return changed


def set_offer_status(offer: Offer, status: str, actor, *, ip: str | None = None) -> bool:
    """Pause or resume (active); False when it already had that status."""
    if status not in ("active", "paused"):
        raise OfferError("status: active or paused")
    if offer.status == status:
        return False
    audit.record("offer.paused" if status == "paused" else "offer.resumed", actor=actor, target=offer, ip=ip,
                 detail={"from": offer.status, "to": status})
    offer.status = status
    db.session.commit()
    return True


def save_landing_page(offer: Offer, page: OfferUrl | None, values: dict, actor, *,
                      ip: str | None = None) -> OfferUrl:
    """Add (page None) or edit an extra landing page of the offer (url_id ≥ 1)."""
    try:
        columns = {"name": (values.get("name") or "").strip(),
                   "destination_url": destination_url(values.get("destination_url")),
                   "preview_url": plain_url(values.get("preview_url"), "preview_url"),
                   "status": values.get("status") or "active"}
    except ContentError as err:
        raise OfferError(str(err)) from None
    if not columns["name"]:
        raise OfferError("name: required")
    if columns["status"] not in ("active", "paused"):
        raise OfferError("status: active or paused")
    if page is None:
        page = OfferUrl(offer_id=offer.id, **columns)
        db.session.add(page)
        db.session.flush()
        audit.record("offer_url.created", actor=actor, target=page, ip=ip,
                     detail={"offer_id": offer.id, "name": page.name})
    else:
        changed = {k: {"from": getattr(page, k), "to": v} for k, v in columns.items() if getattr(page, k) != v}
        for name, value in columns.items():
            setattr(page, name, value)
        if changed:
            audit.record("offer_url.updated", actor=actor, target=page, ip=ip,
                         detail={"offer_id": offer.id, **changed})
    db.session.commit()
    return page
