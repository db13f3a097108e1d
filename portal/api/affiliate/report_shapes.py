"""JSON shapes of the reporting endpoints, in the Everflow Affiliate API's field names (money as decimals)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.domain.records import ClickRecord, ConversionRecord, Metrics, ReportResult

# Everflow's revenue_type of a partner's payout rule.
REVENUE_TYPES = {"flat": "CPA", "percent": "RPS", "cpc": "CPC"}


def _money(cents: int | float) -> float:
    return round(cents / 100, 2)


def _unix(at: datetime | None) -> int:
    return int(at.timestamp()) if at else 0


def metrics(m: Metrics) -> dict[str, Any]:
    return {
        "imp": m.imp, "total_click": m.total_click, "unique_click": m.unique_click,
        "invalid_click": m.invalid_click, "duplicate_click": m.duplicate_click, "ctr": m.ctr, "cv": m.cv,
        "event": m.event, "cvr": m.cvr, "evr": m.evr,
        "rpc": round(m.rpc_cents / 100, 4), "rpm": round(m.rpm_cents / 100, 4),
        "revenue": _money(m.revenue_cents), "on_hold_conversion_count": m.on_hold_conversion_count,
        "on_hold_potential_revenue": _money(m.on_hold_potential_revenue_cents),
    }


def report(result: ReportResult) -> dict[str, Any]:
    return {
        "table": [{"columns": [{"column_type": c.column_type, "id": c.id, "label": c.label} for c in row.cells],
                   "reporting": metrics(row.metrics)} for row in result.rows],
        "incomplete_results": result.incomplete_results,
        "summary": metrics(result.summary),
    }


def conversion(c: ConversionRecord) -> dict[str, Any]:
    return {
        "conversion_id": c.conversion_id, "transaction_id": c.transaction_id or "",
        "conversion_unix_timestamp": _unix(c.created_at), "click_unix_timestamp": _unix(c.click_created_at),
        "status": c.status, "revenue": _money(c.payout_cents),
        "revenue_type": "RPS" if c.offer_payout_type == "percent" else "CPA",
        "sale_amount": _money(c.sale_amount_cents), "currency_id": c.currency,
        "event": c.event_name or "", "is_event": c.is_event,
        "sub1": c.sub1 or "", "sub2": c.sub2 or "", "sub3": c.sub3 or "", "sub4": c.sub4 or "", "sub5": c.sub5 or "",
        "source_id": c.source_id or "", "order_id": c.order_id or "", "coupon_code": c.coupon_code or "",
        "country": c.country or "", "region": "", "city": "", "device_type": c.device or "",
        "platform": c.platform or "", "browser": c.browser or "", "session_user_ip": c.ip or "",
        "is_test": c.is_test, "holding_period_end": _unix(c.hold_until) or None,
        "relationship": {"offer": {"network_offer_id": c.offer_id, "name": c.offer_name}},
    }


def on_hold(c: ConversionRecord) -> dict[str, Any]:
    return {"on_hold_conversion_id": c.conversion_id, "holding_period_end": _unix(c.hold_until),
            "status": c.status, "conversion": conversion(c)}


def click(k: ClickRecord) -> dict[str, Any]:
    return {
        "transaction_id": k.transaction_id, "is_unique": int(k.is_unique), "unix_timestamp": _unix(k.created_at),
        "tracking_url": "", "source_id": k.source_id or "", "sub1": k.sub1 or "", "sub2": k.sub2 or "",
        "sub3": k.sub3 or "", "sub4": k.sub4 or "", "sub5": k.sub5 or "",
        "revenue_type": REVENUE_TYPES.get(k.payout_type, "CPA"), "revenue": _money(k.payout_cents),
        "referer": k.referer or "", "user_ip": k.ip or "", "error_code": k.error_code or 0,
        "error_message": k.error_message or "", "creative_id": k.creative_id or 0,
        "is_test": k.is_test, "converted": k.converted,
        "relationship": {
            "offer": {"network_offer_id": k.offer_id, "name": k.offer_name},
            "geolocation": {"country_code": k.country or "", "country_name": k.country or "",
                            "region_name": k.region or "", "city_name": k.city or ""},
            "device_information": {"platform_name": k.platform or "", "os_version": "",
                                   "browser_name": k.browser or "", "device_type": k.device or "",
                                   "is_mobile": k.device in ("mobile", "tablet")},
        },
    }
