"""JSON shapes of the offer endpoints, in the Everflow Affiliate API's field names.

Everflow's names where it publishes them (network_offer_id, offer_status, currency_id, html_description,
visibility, the caps, tracking_url, impression_tracking_url, time_created, time_saved, relationship
{offer_affiliate_status, category, creatives{entries,total}, ...}, coupon and product-feed objects).
Extensions, marked (ext) in the document: `category` (the name; this network has no category ids),
relationship.payouts entries (the network API's payout_type / payout_amount / payout_percentage names),
relationship.urls entries, relationship.application, `restrictions`, `allowed_countries`,
`is_allow_deep_link`, `can_apply`, and download URLs of files.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from portal.domain.offers import (ApplicationView, CouponView, CreativeView, LandingPage, OfferDetail, OfferSummary,
                                  ProductFeedView)

# The portal's payout rules in Everflow's payout_type words: flat per conversion, percent of the sale, per click.
PAYOUT_TYPES = {"flat": "cpa", "percent": "cps", "cpc": "cpc"}


def _unix(value: datetime | None) -> int:
    return int(value.timestamp()) if value is not None else 0


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def payout(view: OfferSummary) -> dict[str, Any]:
    """The partner's own payout (its override, else the offer's): an amount in the offer's currency, or a
    percentage of the sale."""
    percent = view.payout_type == "percent"
    return {"payout_type": PAYOUT_TYPES.get(view.payout_type, view.payout_type),
            "payout_amount": 0.0 if percent else round(view.payout_amount / 100, 2),
            "payout_percentage": round(view.payout_amount / 100, 2) if percent else 0.0,
            "currency_id": view.currency}


def offer(view: OfferSummary, network_id: int, tracking_url: str, impression_url: str,
          thumbnail_url: str = "") -> dict[str, Any]:
    """An offer of alloffers / offersrunnable; tracking links only when the partner can run it (else "")."""
    caps = dict(view.caps)
    return {
        "network_offer_id": view.offer_id,
        "network_id": network_id,
        "name": view.name,
        "category": view.category,
        "thumbnail_url": thumbnail_url,
        "preview_url": view.preview_url,
        "offer_status": view.status,
        "currency_id": view.currency,
        "html_description": view.description_html,
        "is_description_plain_text": False,
        "visibility": view.visibility,
        "is_caps_enabled": any(value > 0 for value in caps.values()),
        **caps,
        "tracking_url": tracking_url if view.runnable else "",
        "impression_tracking_url": impression_url if view.runnable else "",
        "time_created": _unix(view.time_created),
        "time_saved": _unix(view.time_saved),
        "relationship": {
            "offer_affiliate_status": view.relationship,
            "category": {"name": view.category} if view.category else None,
            "payouts": {"entries": [payout(view)], "total": 1},
        },
    }


def offer_detail(view: OfferDetail, network_id: int, tracking_url: str, impression_url: str,
                 creative_file_url, thumbnail_url: str = "") -> dict[str, Any]:
    """One offer with its landing pages, creatives (when runnable), the partner's application and terms."""
    shaped = offer(view, network_id, tracking_url, impression_url, thumbnail_url)
    shaped.update({
        "restrictions": view.restrictions,
        "allowed_countries": list(view.allowed_countries),
        "is_allow_deep_link": view.deep_links_allowed,
        "can_apply": view.can_apply,
    })
    shaped["relationship"].update({
        "urls": {"entries": [landing_page(p) for p in view.landing_pages], "total": len(view.landing_pages)},
        "creatives": {"entries": [creative(c, creative_file_url(c)) for c in view.creatives],
                      "total": len(view.creatives)},
        "application": application(view.application) if view.application is not None else None,
    })
    return shaped


def landing_page(page: LandingPage) -> dict[str, Any]:
    return {"network_offer_url_id": page.url_id, "name": page.name, "preview_url": page.preview_url}


def creative(view: CreativeView, file_url: str) -> dict[str, Any]:
    return {
        "network_offer_creative_id": view.creative_id,
        "network_offer_id": view.offer_id,
        "name": view.name,
        "creative_type": view.creative_type,
        "creative_status": "active",
        "resource_url": file_url if view.has_file else "",
        "html_code": view.html_code,
        "width": view.width or 0,
        "height": view.height or 0,
        "text": view.text,
        "email_subject": view.email_subject,
        "email_from": view.email_from,
        "filename": view.filename or "",
        "content_type": view.content_type or "",
        "file_size": view.file_size or 0,
    }


def application(view: ApplicationView) -> dict[str, Any]:
    return {
        "status": view.status,
        "note": view.note,
        "time_applied": _unix(view.applied_at),
        "decision_reason": view.decision_reason,
        "time_decided": _unix(view.decided_at),
    }


def coupon(view: CouponView, network_id: int, tracking_link: str) -> dict[str, Any]:
    return {
        "network_coupon_code_id": view.coupon_code_id,
        "network_id": network_id,
        "network_offer_id": view.offer_id,
        "coupon_code": view.code,
        "coupon_status": view.status,
        "tracking_link": tracking_link,
        "start_date": _day(view.start_date),
        "end_date": _day(view.end_date),
        "description": view.description,
        "is_description_plain_text": True,
        "time_created": _unix(view.time_created),
        "time_saved": _unix(view.time_saved),
        "relationship": {"offer": {"network_offer_id": view.offer_id, "name": view.offer_name}},
    }


def product_feed(view: ProductFeedView, network_id: int, file_url: str) -> dict[str, Any]:
    return {
        "network_advertiser_product_feed_id": view.feed_id,
        "network_id": network_id,
        "network_offer_id": view.offer_id,
        "name": view.name,
        "status": view.status,
        "date_valid_from": _unix(view.valid_from),
        "date_valid_to": _unix(view.valid_to),
        "time_created": _unix(view.time_created),
        "time_saved": _unix(view.time_saved),
        "relationship": {"document_file_asset": {"content_type": view.content_type, "filename": view.filename,
                                                 "url": file_url, "file_size": view.file_size}},
    }
