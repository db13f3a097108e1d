"""Offer endpoints: visible and runnable offers, one offer, tracking and impression links, applications,
coupon codes, product feeds, and (ext) downloads of a creative's or a feed's file.

Everflow's paths and names; the façade (portal.affiliate.offers) decides what the partner may see and
run. An offer the partner may not see is a 404, like a missing one; a link for an offer it cannot run is
a 400 (as Everflow documents for the URL endpoint), naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from flask import current_app, jsonify, request, url_for

from portal.affiliate import parsing
from portal.api.affiliate import offer_shapes as shapes
from portal.api.affiliate.blueprint import bp
from portal.api.affiliate.envelope import json_body, paging
from portal.api.affiliate.errors import ApiError
from portal.api.affiliate.operations import PAGING, Routes, paged
from portal.api.affiliate.views import principal
from portal.domain.criteria import MAX_FILTER_VALUES
from portal.domain.offers import (ApplicationRefused, LinkRefused, LinkRequest, OfferFilters, OfferUnavailable,
                                  StoredFile)
from portal.domain.tracking_links import SUB_PARAMETERS
from portal.http.stored_files import serve_stored
from portal.http.tracking_base import tracking_base_url
from portal.storage import store_for

routes = Routes("Offers")
# Façade field → the API's name for it, in error messages.
API_FIELDS = {"offer_id": "network_offer_id", "deep_link": "url"}
LIST_PARAMS = PAGING + ("offer_search", "category", "offer_status", "offer_filter")
FILTER_FIELDS = {"offer_status": "status", "category": "category", "name": "search"}
URL = {"type": "object", "required": ["url"], "additionalProperties": False,
       "properties": {"url": {"type": "string"}}}
FILE = {"description": "The file, as an attachment", "content": {"*/*": {"schema": {"type": "string"}}}}


@bp.errorhandler(OfferUnavailable)
def offer_unavailable(_err: OfferUnavailable):
    return jsonify(error="Not found"), 404


@bp.errorhandler(LinkRefused)
def link_refused(err: LinkRefused):
    return jsonify(error=f"{API_FIELDS.get(err.field, err.field)}: {err.message}"), 400


@bp.errorhandler(ApplicationRefused)
def application_refused(err: ApplicationRefused):
    if err.field == "note":
        return jsonify(error=f"note: {err.message}"), 400
    return jsonify(error=err.message), 409


@routes.get("/affiliates/alloffers", "Offers you can see (public, approval-required, granted)",
            ok=paged("offers", "Offer"), params=LIST_PARAMS)
def alloffers():
    return _offer_list(mine=False)


@routes.get("/affiliates/offersrunnable", "Offers you can run now", ok=paged("offers", "Offer"), params=LIST_PARAMS)
def offersrunnable():
    return _offer_list(mine=True)


@routes.get("/affiliates/offers/<int:offer_id>", "One offer, with its landing pages and creatives", ok="Offer",
            extra=(404,))
def offer_detail(offer_id: int):
    scope = principal().scope
    found = scope.offer(offer_id)
    if found is None:
        raise OfferUnavailable(offer_id)
    return jsonify(_offer(scope, found, _network_id(scope), _base()))


@routes.get("/affiliates/offers/<int:offer_id>/url/<int:url_id>", "Your tracking link (url_id 0: the default page)",
            ok=URL, extra=(400, 404))
def offer_url(offer_id: int, url_id: int):
    return jsonify(url=principal().scope.tracking_link(offer_id, LinkRequest(url_id=url_id), _base()))


@routes.get("/affiliates/offers/<int:offer_id>/impressionurl/<int:url_id>", "Your impression pixel's URL",
            ok=URL, extra=(400, 404))
def offer_impression_url(offer_id: int, url_id: int):
    return jsonify(url=principal().scope.impression_link(offer_id, url_id, _base()))


@routes.post("/affiliates/offers/<int:offer_id>/trackingurl", "Your tracking link with sub IDs", ok=URL,
             body="TrackingUrlRequest", extra=(404,))
def offer_tracking_url(offer_id: int):
    _require_visible(offer_id)  # another partner's offer is a 404 before its body is even read
    body = json_body()
    link = LinkRequest(url_id=_integer(body, "url_id") or 0, creative_id=_integer(body, "creative_id"),
                       deep_link=_text(body, "url"), **{name: _text(body, name) for name in SUB_PARAMETERS})
    return jsonify(url=principal().scope.tracking_link(offer_id, link, _base()))


@routes.post("/affiliates/offers/<int:offer_id>/application", "Apply to run an offer that requires approval",
             ok="Application", body="ApplicationRequest", body_required=False, extra=(404, 409))
@routes.post("/affiliates/offers/<int:offer_id>/apply", "The same as …/application (another client's path)",
             ok="Application", body="ApplicationRequest", body_required=False, extra=(404, 409))
def offer_application(offer_id: int):
    _require_visible(offer_id)
    note = json_body().get("note") if request.content_length or request.is_json else None
    if note is not None and not isinstance(note, str):
        raise ApiError(400, "note: must be a string")
    return jsonify(shapes.application(principal().scope.apply(offer_id, note or "")))


@routes.get("/affiliates/couponcodes", "Your coupon codes on offers you can run", ok=paged("coupon_codes", "CouponCode"),
            params=PAGING)
def coupon_codes():
    scope = principal().scope
    found = scope.coupon_codes(parsing.page_of(request.args))
    network_id, base = _network_id(scope), _base()
    return jsonify(coupon_codes=[shapes.coupon(c, network_id, scope.listed_links(c.offer_id, base)[0])
                                 for c in found.items], paging=paging(found))


@routes.get("/affiliates/offers/<int:offer_id>/productfeeds", "The product feeds of an offer you can run",
            ok=paged("product_feeds", "ProductFeed"), params=PAGING, extra=(404,))
def offer_product_feeds(offer_id: int):
    scope = principal().scope
    _require_visible(offer_id)
    return _feeds(scope, scope.product_feeds(offer_id, parsing.page_of(request.args)))


@routes.get("/affiliates/productfeeds", "The product feeds of every offer you can run",
            ok=paged("product_feeds", "ProductFeed"), params=PAGING)
def product_feeds():
    scope = principal().scope
    return _feeds(scope, scope.product_feeds(None, parsing.page_of(request.args)))


@routes.post("/affiliates/productfeeds", "The product feeds of the offers you can run, of these offers only",
             ok=paged("product_feeds", "ProductFeed"), params=PAGING, body="ProductFeedsRequest", body_required=False)
def product_feeds_of():
    scope = principal().scope
    page = parsing.page_of(request.args)
    ids = _offer_ids(json_body()) if request.content_length or request.is_json else None
    return _feeds(scope, scope.product_feeds(None, page, offer_ids=ids))


@routes.get("/affiliates/offers/<int:offer_id>/creatives/<int:creative_id>/file",
            "(ext) Download a creative's file (a banner)", ok=FILE, extra=(404,))
def creative_file(offer_id: int, creative_id: int):
    return _download(principal().scope.creative_file(offer_id, creative_id))


@routes.get("/affiliates/offers/<int:offer_id>/thumbnail", "(ext) Download an offer's thumbnail image",
            ok=FILE, extra=(404,))
def offer_thumbnail(offer_id: int):
    return _download(principal().scope.offer_thumbnail(offer_id))


@routes.get("/affiliates/productfeeds/<int:feed_id>/file", "(ext) Download a product feed's file", ok=FILE,
            extra=(404,))
def product_feed_file(feed_id: int):
    return _download(principal().scope.product_feed_file(feed_id))


# --- helpers ---------------------------------------------------------------------------------------------


def _require_visible(offer_id: int) -> None:
    if principal().scope.offer(offer_id) is None:
        raise OfferUnavailable(offer_id)


def _base() -> str:
    return tracking_base_url(current_app.config, request.host_url)


def _network_id(scope) -> int:
    return scope.network().network_id


def _offer_list(*, mine: bool):
    scope = principal().scope
    page = parsing.page_of(request.args)
    found = scope.offers(_filters(request.args, mine), page, details=True)
    network_id, base = _network_id(scope), _base()
    return jsonify(offers=[_offer(scope, o, network_id, base) for o in found.items], paging=paging(found))


def _offer(scope, found, network_id: int, base: str) -> dict:
    def file_url(creative):
        return url_for(".creative_file", offer_id=found.offer_id, creative_id=creative.creative_id, _external=True)

    thumbnail = url_for(".offer_thumbnail", offer_id=found.offer_id, _external=True) if found.has_thumbnail else ""
    tracking_url, impression = scope.listed_links(found.offer_id, base)
    return shapes.offer_detail(found, network_id, tracking_url, impression, file_url, thumbnail)


def _filters(args: Mapping, mine: bool) -> OfferFilters:
    values = {"search": _arg(args, "search", 200), "category": _arg(args, "category", 100),
              "status": _arg(args, "offer_status", 20)}
    if "filter" in args:  # Everflow's ?filter=<field>=<value>
        field, _, value = args["filter"].partition("=")
        if field not in FILTER_FIELDS or not value:
            raise ApiError(400, "filter: must be offer_status=<status>, category=<name> or name=<text>")
        values[FILTER_FIELDS[field]] = _checked("filter", value, 100)
    if values["status"] not in (None, "active", "paused"):
        raise ApiError(400, "offer_status: must be active or paused")
    return OfferFilters(mine=mine, **values)


def _arg(args: Mapping, name: str, limit: int) -> str | None:
    value = args.get(name)
    return _checked(name, value, limit) if value else None


def _checked(name: str, value: str, limit: int) -> str:
    if len(value) > limit or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ApiError(400, f"{name}: at most {limit} characters, without control characters")
    return value


def _integer(body: Mapping, name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)  # JSON's 12.0 is 12
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{name}: must be an integer")
    return value


def _text(body: Mapping, name: str) -> str | None:
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # Everflow's clients send numeric sub IDs as numbers
    raise ApiError(400, f"{name}: must be a string")


def _offer_ids(body: Mapping) -> tuple[int, ...] | None:
    ids = body.get("network_offer_ids")
    if ids is None:
        return None
    if not isinstance(ids, list) or len(ids) > MAX_FILTER_VALUES:
        raise ApiError(400, f"network_offer_ids: a list of at most {MAX_FILTER_VALUES} offer ids")
    found = tuple(_integer({"network_offer_ids": item}, "network_offer_ids") for item in ids)
    if any(item is None or item < 0 for item in found):
        raise ApiError(400, "network_offer_ids: offer ids are whole numbers, 0 or more")
    return found


def _feeds(scope, found):
    network_id = _network_id(scope)
    return jsonify(product_feeds=[
        shapes.product_feed(f, network_id, url_for(".product_feed_file", feed_id=f.feed_id, _external=True))
        for f in found.items], paging=paging(found))


def _download(found: StoredFile | None):
    response = None if found is None else serve_stored(store_for(current_app), found.key, found.filename,
                                                       found.content_type)
    if response is None:
        raise OfferUnavailable(None)
    return response
