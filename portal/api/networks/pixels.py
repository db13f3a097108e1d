"""Partner postbacks ("pixels") of any affiliate: create, search, read, replace, delete.

The network manages any affiliate's postbacks whether or not partners may manage their own, under the
same rules as a partner's (portal.affiliate.postback_rules: known macros, an SSRF-safe destination that
the sender's own address policy accepts, an offer the affiliate can run) and audited with the network key
as the actor (portal.services.postbacks). Reads go through the affiliate's scope, so a pixel looks the
same here as in that partner's Affiliate API, plus network_affiliate_id.
"""

from __future__ import annotations

from flask import current_app, jsonify

from portal.affiliate import AffiliateScope
from portal.affiliate import postback_rules as rules
from portal.affiliate.postbacks import MAX_POSTBACKS
from portal.api.networks import shapes
from portal.api.networks.auth import caller
from portal.api.networks.blueprint import route
from portal.api.networks.envelope import json_body, network, page, paging
from portal.api.networks.requests import positive_id
from portal.delivery import destinations
from portal.domain.criteria import MAX_FILTER_VALUES
from portal.domain.errors import BadRequest, NotFound
from portal.domain.postbacks import PostbackDraft
from portal.domain.text import text_fault
from portal.models.postbacks import DELIVERY_METHODS, POSTBACK_STATUSES, POSTBACK_TYPES
from portal.queries import network_directory as directory
from portal.queries import postbacks as postback_queries
from portal.services import postbacks as postback_service

API_FIELDS = {"all_offers": "pixel_level", "offer_id": "network_offer_id", "status": "pixel_status",
              "postback_type": "pixel_type", "url": "postback_url"}
PIXEL_LEVELS = ("global", "specific")


def _scope(affiliate_id: int) -> AffiliateScope:
    partner = directory.affiliate(affiliate_id)
    if partner is None:
        raise NotFound("affiliate")
    return AffiliateScope(partner, actor=caller())


def _owned(pixel_id: int) -> tuple[AffiliateScope, int]:
    owner = directory.pixel_owner(pixel_id)
    if owner is None:
        raise NotFound("pixel")
    return _scope(owner), owner


def _any_port() -> bool:
    return bool(current_app.config.get("POSTBACK_ALLOW_PRIVATE_DESTINATIONS"))


def draft_of(body: dict) -> PostbackDraft:
    level, offer_id = body.get("pixel_level"), body.get("network_offer_id")
    if level is not None and level not in PIXEL_LEVELS:
        raise BadRequest("pixel_level", "must be global or specific")
    if level is None:
        level = "specific" if offer_id not in (None, 0) else "global"
    if level == "global" and offer_id not in (None, 0):
        raise BadRequest("network_offer_id", "must be 0 or absent when pixel_level is global")
    if level == "specific" and offer_id in (None, 0):
        raise BadRequest("network_offer_id", "required when pixel_level is specific")
    d = PostbackDraft()
    return PostbackDraft(
        delivery_method=body.get("delivery_method", d.delivery_method), all_offers=level == "global",
        offer_id=None if level == "global" else offer_id, postback_type=body.get("pixel_type", d.postback_type),
        event_name=body.get("event_name"), status=body.get("pixel_status", d.status), url=body.get("postback_url"),
        html_code=body.get("html_code"), delay_ms=body.get("delay_ms", d.delay_ms),
        description=body.get("description", d.description),
        send_status_updates=body.get("send_status_updates", d.send_status_updates))


def _clean(affiliate_id: int, draft: PostbackDraft, current_offer_id: int | None) -> dict:
    try:
        clean = rules.clean_draft(draft, current_offer_id=current_offer_id, allow_any_port=_any_port(),
                                  offer_runnable=lambda offer: postback_queries.offer_runnable(affiliate_id, offer))
    except BadRequest as err:
        raise BadRequest(API_FIELDS.get(err.field, err.field), err.rule) from None
    refused = destinations.refusal(clean["url"], allow_private=_any_port()) if clean["url"] else None
    if refused:
        raise BadRequest("postback_url", refused)
    return clean


@route("POST", "/pixels", "Add a postback for an affiliate", "Pixels", body="PixelRequest", ok="Pixel",
       extra=(400,))
def pixel_create():
    body = json_body()
    affiliate_id = positive_id(body.get("network_affiliate_id"), "network_affiliate_id")
    if directory.affiliate(affiliate_id) is None:
        raise BadRequest("network_affiliate_id", "no such affiliate")
    clean = _clean(affiliate_id, draft_of(body), None)
    created = postback_service.create_postback(affiliate_id, clean, MAX_POSTBACKS, actor=caller())
    if created is None:
        raise BadRequest("postbacks", f"at most {MAX_POSTBACKS} per affiliate")
    return jsonify(shapes.pixel(_scope(affiliate_id).postback(created), affiliate_id, network().id))


@route("POST", "/pixelstable", "Postbacks of every affiliate (or some), filtered, searched and paged", "Pixels",
       body="PixelSearchRequest", ok="PixelPage", query=("page", "page_size"), extra=(400,))
def pixels_table():
    """Everflow's body: `filters` (network_affiliate_ids, network_offer_ids, offer_status (sic: the postback's
    status), pixel_type, delivery_method) and `search_terms` [{search_type: pixel_id|description|payload,
    value}], at the top level or under `query`; singular network_affiliate_id / network_offer_id and
    pixel_status are taken too."""
    body, wanted = json_body(optional=True), page()
    query = body.get("query") if isinstance(body.get("query"), dict) else body
    filters = query.get("filters") or {}
    if not isinstance(filters, dict):
        raise BadRequest("filters", "must be an object of field: value")
    ids = {name: _ids(filters, name) for name in ("network_affiliate_id", "network_offer_id")}
    texts = {}
    for name, names, allowed in (("pixel_status", ("pixel_status", "offer_status"), POSTBACK_STATUSES),
                                 ("pixel_type", ("pixel_type",), (*POSTBACK_TYPES, "post_conversion", "cpc")),
                                 ("delivery_method", ("delivery_method",), DELIVERY_METHODS)):
        value = next((filters[n] for n in names if filters.get(n) not in (None, "")), None)
        if value is not None and value not in allowed:
            raise BadRequest(name, f"must be one of {', '.join(allowed)}")
        texts[name] = {"post_conversion": "event"}.get(value, value)
    if texts["pixel_type"] == "cpc":
        return jsonify(pixels=[], paging=paging(wanted, 0))  # no postback here fires on clicks
    rows, total = directory.pixel_page(wanted.offset, wanted.page_size, affiliate_ids=ids["network_affiliate_id"],
                                       offer_ids=ids["network_offer_id"], status=texts["pixel_status"],
                                       pixel_type=texts["pixel_type"], delivery_method=texts["delivery_method"],
                                       search=_search_terms(query.get("search_terms")))
    network_id = network().id
    return jsonify(pixels=[shapes.pixel(_scope(owner).postback(pid), owner, network_id) for pid, owner in rows],
                   paging=paging(wanted, total))


def _ids(filters: dict, name: str) -> tuple[int, ...]:
    """`<name>s` (a list of ids) and `<name>` (one id) of a filter object, as ids."""
    many = filters.get(name + "s")
    if many not in (None, "") and not isinstance(many, list):
        raise BadRequest(name + "s", "must be a list of ids")
    values = [*(many or []), *([filters[name]] if filters.get(name) not in (None, "", 0) else [])]
    if len(values) > MAX_FILTER_VALUES:
        raise BadRequest(name + "s", f"at most {MAX_FILTER_VALUES} ids")
    return tuple(dict.fromkeys(positive_id(v, name) for v in values))


def _search_terms(raw) -> tuple[tuple[str, str], ...]:
    if raw in (None, ""):
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_FILTER_VALUES:
        raise BadRequest("search_terms", "must be a list of {search_type, value} objects")
    terms = []
    for item in raw:
        kind = item.get("search_type") if isinstance(item, dict) else None
        value = item.get("value") if isinstance(item, dict) else None
        if kind not in ("pixel_id", "description", "payload"):
            raise BadRequest("search_terms", "search_type must be pixel_id, description or payload")
        if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > 200 or text_fault(str(value)):
            raise BadRequest("search_terms", "value must be text of at most 200 characters")
        terms.append((kind, str(value).strip()))
    return tuple(terms)


@route("GET", "/pixels/<int:pixel_id>", "One postback", "Pixels", ok="Pixel", extra=(404,))
def pixel(pixel_id: int):
    scope, owner = _owned(pixel_id)
    return jsonify(shapes.pixel(scope.postback(pixel_id), owner, network().id))


@route("PUT", "/pixels/<int:pixel_id>", "Replace a postback", "Pixels", body="PixelRequest", ok="Pixel",
       extra=(400, 404))
def pixel_update(pixel_id: int):
    scope, owner = _owned(pixel_id)
    body = json_body()
    given = body.get("network_affiliate_id")
    if given not in (None, "", 0) and positive_id(given, "network_affiliate_id") != owner:
        raise BadRequest("network_affiliate_id", "a postback cannot move to another affiliate")
    current = scope.postback(pixel_id)
    clean = _clean(owner, draft_of(body), current.offer_id)
    if not postback_service.update_postback(owner, pixel_id, clean, actor=caller()):
        raise NotFound("pixel")
    return jsonify(shapes.pixel(scope.postback(pixel_id), owner, network().id))


@route("DELETE", "/pixels/<int:pixel_id>", "Delete a postback", "Pixels", ok="Result", extra=(404,))
def pixel_delete(pixel_id: int):
    _, owner = _owned(pixel_id)
    if not postback_service.delete_postback(owner, pixel_id, actor=caller()):
        raise NotFound("pixel")
    return jsonify(result=True)
