"""Network API objects → the partner's records: the affiliate check first, then only partner fields.

Everflow's network objects carry what the network sees: `payout` (what the affiliate earns), `revenue`
(what the advertiser pays the network), profit, margin, the advertiser, adv1..adv5, notes, account
managers. A partner sees its own earnings as `revenue`: here the upstream's `payout` becomes the record's
payout/revenue in minor units, and nothing else money-like is read. Records are built field by field
from a fixed list, so a field the upstream adds tomorrow cannot reach a partner either.

Ownership: every object must name the partner's upstream affiliate id (`network_affiliate_id`, or
`relationship.affiliate.network_affiliate_id`); one that names another affiliate, or none, is foreign.

Total: odd values (non-ASCII digits, numbers of thousands of digits, 1e999999999) never raise from the
helpers here; what cannot be a figure raises ValueError, and `refused()` turns any failure of mapping an
upstream answer into UpstreamRefused (a 502), never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from portal.domain.criteria import TIME_COLUMNS
from portal.domain.errors import BadRequest, UpstreamRefused
from portal.domain.postbacks import PostbackView
from portal.domain.records import Cell, ClickRecord, ConversionRecord, Metrics

# Everflow's payout types → the portal's payout rules (flat, percent, cpc).
PAYOUT_TYPES = {"cpa": "flat", "cpa_cps": "flat", "cps": "percent", "cpc": "cpc", "cpm": "flat", "flat": "flat",
                "percent": "percent", "prv": "percent"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_ID_DIGITS = 18  # every id fits a signed 64-bit integer
MAX_NUMBER_TEXT = 64  # characters of a numeric string read as money
MAX_MAJOR_DIGITS = 15  # an amount of 10**15 major units or more is not money but a broken answer
UNREADABLE = "The network's tracking platform sent an answer this portal cannot read"

log = logging.getLogger(__name__)


@contextmanager
def refused() -> Iterator[None]:
    """Mapping an upstream answer: anything it cannot read is the upstream's fault (UpstreamRefused)."""
    try:
        yield
    except BadRequest:
        raise  # the caller's own input, checked while mapping
    except (ArithmeticError, ValueError, TypeError, AttributeError, KeyError, RecursionError) as err:
        log.error("upstream answer unreadable: %s", type(err).__name__)
        raise UpstreamRefused(UNREADABLE) from err


def digits(value: str) -> bool:
    """ASCII digits only, and few enough for an id ("²".isdigit() is true; int("²") fails)."""
    return 0 < len(value) <= MAX_ID_DIGITS and value.isascii() and value.isdigit()


def affiliate_of(obj: dict) -> int | None:
    """The upstream affiliate id an object names, or None when it names none (or not as an integer)."""
    found = obj.get("network_affiliate_id")
    if found is None:
        relationship = obj.get("relationship")
        affiliate = relationship.get("affiliate") if isinstance(relationship, dict) else None
        found = affiliate.get("network_affiliate_id") if isinstance(affiliate, dict) else None
    if isinstance(found, bool):
        return None
    if isinstance(found, int):
        return found
    if isinstance(found, str) and digits(found):
        return int(found)
    return None


def belongs(obj: object, affiliate_id: int) -> bool:
    """Whether an object of the upstream is this affiliate's (anything unreadable is not)."""
    return isinstance(obj, dict) and affiliate_of(obj) == affiliate_id


def cents(value: object) -> int:
    """Major units (a JSON number or numeric string) → minor units, half up; anything else is 0, and an
    amount no money can be (10**MAX_MAJOR_DIGITS or more) is ValueError."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int):
        if abs(value) >= 10 ** MAX_MAJOR_DIGITS:
            raise ValueError("amount out of range")
        return value * 100
    if isinstance(value, float) and abs(value) < 1e12:
        # The usual case, an amount with at most two decimals: exact in minor units without Decimal.
        scaled = value * 100
        nearest = round(scaled)
        if abs(scaled - nearest) < 1e-6:
            return int(nearest)
    if not isinstance(value, float | str | Decimal) or (isinstance(value, str) and len(value) > MAX_NUMBER_TEXT):
        return 0
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return 0
    if not amount.is_finite():
        return 0
    if amount.adjusted() >= MAX_MAJOR_DIGITS:  # before any arithmetic (even abs): 1e999999999 overflows it
        raise ValueError("amount out of range")
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def instant(value: object) -> datetime | None:
    """A Unix timestamp (seconds) → an aware UTC datetime; 0, absent or unreadable → None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str) or not value:
        return None
    if isinstance(value, str) and len(value) > MAX_NUMBER_TEXT:
        return None
    try:
        seconds = float(value)
    except (ValueError, OverflowError):
        return None
    if not 0 < seconds < 32_503_680_000:  # year 3000
        return None
    return datetime.fromtimestamp(seconds, UTC)


def _text(obj: dict, name: str) -> str | None:
    value = obj.get(name)
    if value is None or value == "":
        return None
    return str(value)


def _int(value: object, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value if abs(value) < 10 ** MAX_ID_DIGITS else default
    if isinstance(value, float) and value.is_integer() and abs(value) < 10 ** MAX_ID_DIGITS:
        return int(value)
    if isinstance(value, str) and digits(value.strip().removeprefix("-")):
        return int(value)
    return default


def _offer(obj: dict) -> tuple[int, str]:
    if "relationship" not in obj:  # an export's flat row
        offer_id = _int(obj.get("network_offer_id"))
        return offer_id, str(obj.get("offer_name") or f"Offer {offer_id}")
    relationship = obj.get("relationship") if isinstance(obj.get("relationship"), dict) else {}
    offer = relationship.get("offer") if isinstance(relationship.get("offer"), dict) else {}
    offer_id = _int(obj.get("network_offer_id", offer.get("network_offer_id")))
    name = offer.get("name") or obj.get("offer_name") or f"Offer {offer_id}"
    return offer_id, str(name)


def payout_rule(value: object) -> str:
    return PAYOUT_TYPES.get(str(value or "").lower(), "flat")


def _instant(value: object) -> datetime | None:
    """instant(), with the usual case (whole seconds as a JSON integer) first."""
    if type(value) is int and 0 < value < 32_503_680_000:
        return datetime.fromtimestamp(value, UTC)
    return instant(value)


def _fast_text(obj: dict, name: str) -> str | None:
    value = obj.get(name)
    if type(value) is str:
        return value or None
    return None if value is None or value == "" else str(value)


def conversion_row(obj: dict, currency: str) -> tuple:
    """A network conversion as its partner sees it, as a tuple in ConversionRecord's field order (what an
    export's batches hold: no record object per row)."""
    offer_id, offer_name = _offer(obj)
    event = obj.get("event")
    t = _fast_text
    return (
        str(obj.get("conversion_id") or ""), t(obj, "transaction_id"),
        _instant(obj.get("conversion_unix_timestamp")) or EPOCH, _instant(obj.get("click_unix_timestamp")),
        str(obj.get("status") or "pending"), cents(obj.get("payout")), cents(obj.get("sale_amount")),
        str(obj.get("currency_id") or currency).upper()[:3],
        str(event) if obj.get("is_event") and event else None,
        t(obj, "sub1"), t(obj, "sub2"), t(obj, "sub3"), t(obj, "sub4"), t(obj, "sub5"), t(obj, "source_id"),
        t(obj, "order_id"), t(obj, "coupon_code"), t(obj, "country"), t(obj, "device_type"), t(obj, "browser"),
        t(obj, "platform"), t(obj, "conversion_user_ip") or t(obj, "session_user_ip"),
        offer_id, offer_name, payout_rule(obj.get("payout_type")), bool(obj.get("is_test")),
        _instant(obj.get("holding_period_end") or obj.get("hold_until_unix_timestamp")),
    )


def conversion(obj: dict, currency: str) -> ConversionRecord:
    """A network conversion (reporting/conversions) as its partner sees it."""
    return ConversionRecord(*conversion_row(obj, currency))


def _nested(obj: dict, *path: str) -> dict:
    for name in path:
        obj = obj.get(name) if isinstance(obj, dict) else None
    return obj if isinstance(obj, dict) else {}


def click(obj: dict) -> ClickRecord:
    """A network click (reporting/clicks/stream, reporting/clicks/{id}) as its partner sees it; place and
    device come flat or under relationship.geolocation / relationship.device_information."""
    offer_id, offer_name = _offer(obj)
    geo, device = _nested(obj, "relationship", "geolocation"), _nested(obj, "relationship", "device_information")
    error_code = obj.get("error_code")
    return ClickRecord(
        transaction_id=str(obj.get("transaction_id") or ""),
        created_at=instant(obj.get("unix_timestamp")) or EPOCH, is_unique=bool(obj.get("is_unique")),
        is_test=bool(obj.get("is_test_mode") or obj.get("is_test")), offer_id=offer_id, offer_name=offer_name,
        sub1=_text(obj, "sub1"), sub2=_text(obj, "sub2"), sub3=_text(obj, "sub3"), sub4=_text(obj, "sub4"),
        sub5=_text(obj, "sub5"), source_id=_text(obj, "source_id"), ip=_text(obj, "user_ip"),
        user_agent=_text(obj, "http_user_agent") or _text(obj, "user_agent"), referer=_text(obj, "referer"),
        country=_text(obj, "country") or _text(geo, "country_code"),
        device=_text(obj, "device_type") or _text(device, "device_type"),
        browser=_text(obj, "browser") or _text(device, "browser_name"),
        platform=_text(obj, "platform") or _text(device, "platform_name"),
        region=_text(obj, "region") or _text(geo, "region_name"), city=_text(obj, "city") or _text(geo, "city_name"),
        offer_url_id=_int(obj.get("network_offer_url_id")),
        creative_id=_int(obj.get("creative_id", obj.get("network_offer_creative_id"))) or None,
        error_code=_int(error_code) if error_code not in (None, "", 0) else None,
        error_message=_text(obj, "error_message"), payout_type=payout_rule(obj.get("payout_type")),
        payout_cents=cents(obj.get("payout")),
        converted=bool(obj.get("has_conversion") or obj.get("conversion_id") or obj.get("is_converted")),
    )


def metric_values(reporting: object) -> tuple[int, ...]:
    """A report row's `reporting` object as Metrics' fields in order: the partner's figures only (payout →
    revenue). Plain ints, so a report's summary is one column-wise sum rather than a Metrics per row."""
    r = reporting if isinstance(reporting, dict) else {}
    return (_int(r.get("total_click")), _int(r.get("unique_click")), _int(r.get("cv")), _int(r.get("event")),
            cents(r.get("payout")), _int(r.get("on_hold_conversion_count")),
            cents(r.get("on_hold_potential_payout")), _int(r.get("imp")), _int(r.get("invalid_click")))


def metrics(reporting: object) -> Metrics:
    return Metrics(*metric_values(reporting))


def cell(obj: object, tz_name: str) -> Cell:
    """One `columns[]` entry of a report row. Time columns given as Unix timestamps become the portal's
    labels (2026-03-01, 2026-W09, …) in the report's timezone, so rows sort and read as in local mode."""
    c = obj if isinstance(obj, dict) else {}
    column = str(c.get("column_type") or "")
    ident, label = str(c.get("id") if c.get("id") is not None else ""), str(c.get("label") or "")
    if column in TIME_COLUMNS:
        when = instant(ident) if digits(ident) else None
        text = _period_text(column, when, tz_name) if when else (label or ident)
        return Cell(column, text, text, sort_key=text)
    if column == "offer":
        return Cell(column, ident, label or (f"Offer {ident}" if ident else ""),
                    sort_key=_int(ident) if digits(ident) else ident)
    return Cell(column, ident, label or ident, sort_key=label or ident)


def _period_text(column: str, when: datetime, tz_name: str) -> str:
    from zoneinfo import ZoneInfo

    local = when.astimezone(ZoneInfo(tz_name))
    if column == "hour":
        return local.strftime("%Y-%m-%d %H:00")
    if column == "date":
        return local.strftime("%Y-%m-%d")
    if column == "week":
        iso = local.date().isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if column == "month":
        return local.strftime("%Y-%m")
    return f"{local.year:04d}"


def pixel(obj: dict, offer_names: dict[int, str]) -> PostbackView:
    """A network pixel as the partner's postback (no delivery bookkeeping: the upstream keeps none here)."""
    offer_id = _int(obj.get("network_offer_id")) or None
    level = str(obj.get("pixel_level") or ("specific" if offer_id else "global"))
    offer_id = offer_id if level == "specific" else None
    created = instant(obj.get("time_created")) or EPOCH
    pixel_type = str(obj.get("pixel_type") or "conversion")
    return PostbackView(
        id=_int(obj.get("network_pixel_id")), offer_id=offer_id,
        offer_name=offer_names.get(offer_id, f"Offer {offer_id}") if offer_id else None,
        delivery_method=str(obj.get("delivery_method") or "postback"),
        postback_type="event" if pixel_type in ("event", "post_conversion") else "conversion",
        event_name=_text(obj, "event_name"), status=str(obj.get("pixel_status") or "active"),
        url=_text(obj, "postback_url"), html_code=_text(obj, "html_code"), delay_ms=_int(obj.get("delay_ms")),
        description=str(obj.get("description") or ""), send_status_updates=False, consecutive_failures=0,
        first_failure_at=None, disabled_at=None, disabled_reason=None, created_at=created,
        updated_at=instant(obj.get("time_saved")) or created,
    )


def pixel_body(values: dict, affiliate_id: int) -> dict:
    """Checked postback values (postback_rules.clean_draft) → a network pixel body, the affiliate injected."""
    offer_id = values.get("offer_id")
    body = {
        "network_affiliate_id": affiliate_id,
        "network_offer_id": offer_id or 0,
        "pixel_level": "specific" if offer_id else "global",
        "delivery_method": values.get("delivery_method") or "postback",
        "pixel_type": "event" if values.get("postback_type") == "event" else "conversion",
        "pixel_status": values.get("status") or "active",
        "postback_url": values.get("url") or "",
        "html_code": values.get("html_code") or "",
        "delay_ms": int(values.get("delay_ms") or 0),
    }
    if values.get("event_name"):
        body["event_name"] = values["event_name"]
    if values.get("description"):
        body["description"] = values["description"]
    return body
