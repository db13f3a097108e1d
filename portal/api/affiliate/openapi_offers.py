"""The offer endpoints' part of the OpenAPI document: response objects inferred from the real serialisers
(portal.api.affiliate.offer_shapes) over sample records, the request bodies, and the path and query
parameters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from portal.api.affiliate import offer_shapes as shapes
from portal.api.affiliate.openapi_schemas import infer, merge
from portal.domain.criteria import MAX_FILTER_VALUES, MAX_ID
from portal.domain.offers import (MAX_NOTE, OFFER_VISIBILITY, ApplicationView, CouponView, CreativeView, LandingPage,
                                  OfferDetail, ProductFeedView)
from portal.domain.tracking_links import MAX_DEEP_LINK_LENGTH, MAX_SUB_LENGTH, SUB_PARAMETERS

_AT = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
_CAPS = {f"{period}_{kind}_cap": 0 for kind in ("conversion", "click")
         for period in ("daily", "weekly", "monthly", "global")}
SINGLE_LINE = "^[^\\x00-\\x1f\\x7f]*$"
NOTE_TEXT = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"  # newlines and tabs allowed


def _creative(filled: bool) -> CreativeView:
    return CreativeView(creative_id=3, offer_id=1, name="Banner", creative_type="image",
                        width=300 if filled else None, height=250 if filled else None,
                        filename="b.png" if filled else None, content_type="image/png" if filled else None,
                        file_size=1024 if filled else None, html_code="", text="", email_subject="", email_from="",
                        has_file=filled)


def _application(filled: bool) -> ApplicationView:
    return ApplicationView(status="rejected" if filled else "pending", note="note", applied_at=_AT,
                           decision_reason="reason" if filled else "", decided_at=_AT if filled else None)


def _offer(filled: bool) -> OfferDetail:
    return OfferDetail(
        offer_id=1, name="Acme", category="Shoes" if filled else "", status="active", visibility="public",
        relationship="public", runnable=filled, currency="USD", payout_type="percent" if filled else "flat",
        payout_amount=1250, preview_url="", has_thumbnail=False, time_created=_AT, time_saved=_AT,
        caps=dict(_CAPS), description_html="<p>x</p>", restrictions="", deep_links_allowed=filled,
        landing_pages=(LandingPage(0, "Default", ""),), allowed_countries=("US",) if filled else (),
        creatives=(_creative(True), _creative(False)) if filled else (),
        application=_application(True) if filled else None, can_apply=not filled)


def _coupon(filled: bool) -> CouponView:
    day = date(2026, 11, 1) if filled else None
    return CouponView(coupon_code_id=1, offer_id=1, offer_name="Acme", code="SAVE10", status="active",
                      description="", start_date=day, end_date=day, time_created=_AT, time_saved=_AT)


def _feed(filled: bool) -> ProductFeedView:
    at = _AT if filled else None
    return ProductFeedView(feed_id=1, offer_id=1, name="Feed", status="active", filename="feed.csv",
                           content_type="text/csv", file_size=10, valid_from=at, valid_to=at, time_created=_AT,
                           time_saved=_AT)


def _both(build) -> dict[str, Any]:
    return merge(infer(build(True)), infer(build(False)))


def response_schemas() -> dict[str, dict[str, Any]]:
    def urls(filled: bool):
        return ("https://t.example/c/1/1", "https://t.example/i/1/1") if filled else ("", "")

    schemas = {
        "Offer": _both(lambda f: shapes.offer_detail(_offer(f), 1, *urls(f), lambda c: "https://x.example/f")),
        "Application": _both(lambda f: shapes.application(_application(f))),
        "CouponCode": _both(lambda f: shapes.coupon(_coupon(f), 1, "https://t.example/c/1/1")),
        "ProductFeed": _both(lambda f: shapes.product_feed(_feed(f), 1, "https://x.example/f")),
    }
    for name in ("Offer",):
        props = schemas[name]["properties"]
        props["offer_status"]["enum"] = ["active", "paused"]
        props["visibility"]["enum"] = list(OFFER_VISIBILITY)
        props["relationship"]["properties"]["offer_affiliate_status"]["enum"] = [
            "public", "approved", "pending", "rejected", "blocked", "require_approval"]
        props["relationship"]["properties"]["category"] = {
            "anyOf": [{"type": "null"}, {"type": "object", "required": ["name"], "additionalProperties": False,
                                         "properties": {"name": {"type": "string"}}}]}
    return schemas


def request_schemas() -> dict[str, dict[str, Any]]:
    # Numbers are taken as their text (Everflow's clients send numeric sub IDs as numbers).
    sub = {"type": ["string", "integer", "null"], "maxLength": MAX_SUB_LENGTH, "pattern": SINGLE_LINE}
    return {
        "TrackingUrlRequest": {"type": "object", "properties": {
            "url_id": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_ID,
                       "description": "A landing page's network_offer_url_id; 0 or absent: the default"},
            **{name: sub for name in SUB_PARAMETERS},
            "creative_id": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_ID,
                            "description": "One of the offer's network_offer_creative_id"},
            "url": {"type": ["string", "null"], "maxLength": MAX_DEEP_LINK_LENGTH,
                    "description": "A deep link (http or https) where the offer allows one"}}},
        "ApplicationRequest": {"type": "object", "properties": {
            "note": {"type": ["string", "null"], "maxLength": MAX_NOTE, "pattern": NOTE_TEXT,
                     "description": "A word to the network about your traffic"}}},
        "ProductFeedsRequest": {"type": "object", "properties": {
            "network_offer_ids": {"type": ["array", "null"], "maxItems": MAX_FILTER_VALUES,
                                  "items": {"type": "integer", "minimum": 0},
                                  "description": "Only these offers' feeds"}}},
    }


def parameters() -> dict[str, dict]:
    def path(name, description):
        return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0},
                "description": description}

    def query(name, schema, description):
        return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}

    return {
        "offer_id": path("offer_id", "The offer's network_offer_id"),
        "url_id": path("url_id", "A landing page's network_offer_url_id (0: the offer's default page)"),
        "creative_id": path("creative_id", "The creative's network_offer_creative_id"),
        "feed_id": path("feed_id", "The feed's network_advertiser_product_feed_id"),
        "offer_search": query("search", {"type": "string", "maxLength": 200, "pattern": SINGLE_LINE},
                              "(ext) Offers whose name holds this text, or the offer with this id"),
        "category": query("category", {"type": "string", "maxLength": 100, "pattern": SINGLE_LINE},
                          "(ext) Only this category's offers"),
        "offer_status": query("offer_status", {"type": "string", "enum": ["", "active", "paused"]},
                              "Only active or only paused offers"),
        "offer_filter": query("filter", {"type": "string", "pattern":
                                         "^(offer_status=(active|paused)|(category|name)=[^\\x00-\\x1f\\x7f]{1,100})$"},
                              "Everflow's form: offer_status=active, category=<name> or name=<text>"),
    }
