"""JSON shapes of the Network API, in Everflow's network field names (money in currency units, times as
unix seconds). Network rows carry both sides of the money: `payout` (the partner's) and `revenue` (the
network's), and the affiliate they belong to (`network_affiliate_id`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.domain.postbacks import PostbackView
from portal.domain.records import ClickRecord, ConversionRecord

PAYOUT_TYPES = {"flat": "cpa", "percent": "cps", "cpc": "cpc"}
REVENUE_TYPES = {"flat": "rpa", "percent": "rps", "cpc": "rpc"}
CONVERSION_WIDTH = len(ConversionRecord.__dataclass_fields__)
CLICK_WIDTH = len(ClickRecord.__dataclass_fields__) - 1  # `converted` is not a column


def money(cents: int | float | None) -> float:
    return round((cents or 0) / 100, 2)


def unix(at: datetime | None) -> int:
    return int(at.timestamp()) if at else 0


def conversion(row: tuple, network_id: int) -> dict[str, Any]:
    c = ConversionRecord(*row[:CONVERSION_WIDTH])
    affiliate_id, revenue_cents, advertiser_id = row[CONVERSION_WIDTH:]
    return {
        "conversion_id": c.conversion_id, "network_id": network_id, "network_affiliate_id": affiliate_id,
        "network_offer_id": c.offer_id, "network_advertiser_id": advertiser_id or 0,
        "transaction_id": c.transaction_id or "", "conversion_unix_timestamp": unix(c.created_at),
        "click_unix_timestamp": unix(c.click_created_at), "status": c.status,
        "payout_type": PAYOUT_TYPES.get(c.offer_payout_type, "cpa"), "payout": money(c.payout_cents),
        "revenue_type": REVENUE_TYPES.get(c.offer_payout_type, "rpa"), "revenue": money(revenue_cents),
        "sale_amount": money(c.sale_amount_cents), "currency_id": c.currency,
        "is_event": c.event_name is not None, "event": c.event_name or "",
        "sub1": c.sub1 or "", "sub2": c.sub2 or "", "sub3": c.sub3 or "", "sub4": c.sub4 or "", "sub5": c.sub5 or "",
        "source_id": c.source_id or "", "order_id": c.order_id or "", "coupon_code": c.coupon_code or "",
        "country": c.country or "", "device_type": c.device or "", "platform": c.platform or "",
        "browser": c.browser or "", "session_user_ip": c.ip or "", "conversion_user_ip": c.ip or "",
        "is_test": c.is_test, "holding_period_end": unix(c.hold_until) or None,
        "relationship": {"offer": {"network_offer_id": c.offer_id, "name": c.offer_name},
                         "affiliate": {"network_affiliate_id": affiliate_id},
                         "advertiser": {"network_advertiser_id": advertiser_id} if advertiser_id else None},
    }


def click(row: tuple, converted: bool, network_id: int) -> dict[str, Any]:
    k = ClickRecord(*row[:CLICK_WIDTH], converted=converted)
    affiliate_id, advertiser_id = row[CLICK_WIDTH:]
    return {
        "transaction_id": k.transaction_id, "network_id": network_id, "network_affiliate_id": affiliate_id,
        "network_offer_id": k.offer_id, "network_advertiser_id": advertiser_id or 0,
        "is_unique": int(k.is_unique), "unix_timestamp": unix(k.created_at), "tracking_url": "",
        "source_id": k.source_id or "", "sub1": k.sub1 or "", "sub2": k.sub2 or "", "sub3": k.sub3 or "",
        "sub4": k.sub4 or "", "sub5": k.sub5 or "",
        "payout_type": PAYOUT_TYPES.get(k.payout_type, "cpa"), "payout": money(k.payout_cents),
        # The network bills per conversion here: a click carries no revenue of the network's own.
        "revenue_type": REVENUE_TYPES.get(k.payout_type, "rpa"), "revenue": 0.0,
        "referer": k.referer or "", "user_ip": k.ip or "", "error_code": k.error_code or 0,
        "error_message": k.error_message or "", "creative_id": k.creative_id or 0,
        "network_offer_url_id": k.offer_url_id or 0, "is_test_mode": k.is_test, "has_conversion": k.converted,
        "relationship": {
            "offer": {"network_offer_id": k.offer_id, "name": k.offer_name},
            "affiliate": {"network_affiliate_id": affiliate_id},
            "geolocation": {"country_code": k.country or "", "country_name": k.country or "",
                            "region_name": k.region or "", "city_name": k.city or ""},
            "device_information": {"platform_name": k.platform or "", "browser_name": k.browser or "",
                                   "device_type": k.device or "", "is_mobile": k.device in ("mobile", "tablet")},
        },
    }


def affiliate(p, network_id: int) -> dict[str, Any]:
    am = p.account_manager
    return {
        "network_affiliate_id": p.id, "network_id": network_id, "name": p.name, "account_status": p.status,
        "network_employee_id": p.account_manager_id or 0, "internal_notes": p.internal_notes or "",
        "default_currency_id": p.currency, "is_test": p.is_test, "time_created": unix(p.created_at),
        "time_saved": unix(p.updated_at),
        "relationship": {"account_manager": {"network_employee_id": am.id, "full_name": am.name or "",
                                             "email": am.email} if am else None,
                         "timezone": p.timezone},
    }


def offer(o, advertiser, network_id: int) -> dict[str, Any]:
    percent = o.payout_type == "percent"
    return {
        "network_offer_id": o.id, "network_id": network_id, "network_advertiser_id": o.advertiser_id or 0,
        "name": o.name, "offer_status": o.status, "visibility": o.visibility, "currency_id": o.currency,
        "destination_url": o.destination_url, "preview_url": o.preview_url or "", "category": o.category or "",
        "time_created": unix(o.created_at), "time_saved": unix(getattr(o, "updated_at", None) or o.created_at),
        "relationship": {
            "advertiser": {"network_advertiser_id": advertiser.id, "name": advertiser.name,
                           "account_status": advertiser.status} if advertiser else None,
            "payout_revenue": {"total": 1, "entries": [{
                "entry_name": "Base", "is_default": True, "is_private": False,
                "payout_type": PAYOUT_TYPES.get(o.payout_type, "cpa"),
                "payout_amount": 0.0 if percent else money(o.payout_amount),
                "payout_percentage": o.payout_amount / 100 if percent else 0.0,
                "revenue_type": REVENUE_TYPES.get(o.payout_type, "rpa"),
                "revenue_amount": 0.0 if percent else money(o.network_revenue_amount),
                "revenue_percentage": o.network_revenue_amount / 100 if percent else 0.0,
            }]},
        },
    }


def pixel(view: PostbackView, affiliate_id: int, network_id: int) -> dict[str, Any]:
    return {
        "network_pixel_id": view.id, "network_id": network_id, "network_affiliate_id": affiliate_id,
        "network_offer_id": view.offer_id or 0, "delivery_method": view.delivery_method,
        "pixel_level": "global" if view.all_offers else "specific", "pixel_status": view.status,
        "pixel_type": view.postback_type, "event_name": view.event_name or "", "postback_url": view.url or "",
        "html_code": view.html_code or "", "delay_ms": view.delay_ms, "description": view.description or "",
        "time_created": unix(view.created_at) or None, "time_saved": unix(view.updated_at) or None,
        "relationship": {"offer": {"network_offer_id": view.offer_id, "name": view.offer_name}
                         if view.offer_id is not None else None},
    }
