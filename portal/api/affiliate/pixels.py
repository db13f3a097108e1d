"""Postback endpoints ("pixels", Everflow's word): list, read, create, replace, delete, test, delivery log,
retry a failed delivery.

Everflow's names live here only: the façade speaks of postbacks, offers and URLs, and this module maps
its fields and its error messages to network_pixel_id, network_offer_id, postback_url and the rest.
A partner id in a body (partner_id, affiliate_id, network_affiliate_id) is ignored, as are fields the
server owns (consecutive_failures, disabled_reason, time_created, …): the key decides the partner.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import jsonify, request

from portal.affiliate import parsing
from portal.api.affiliate.blueprint import bp
from portal.api.affiliate.envelope import json_body, paging
from portal.api.affiliate.operations import PAGING, Routes, paged
from portal.api.affiliate.views import principal
from portal.domain.errors import BadRequest, NotSent, SelfServiceOff, TooManySends
from portal.domain.postbacks import AttemptView, DeliveryView, PostbackDraft, PostbackView

# Façade field → the API's name for it, for error messages.
API_FIELDS = {"all_offers": "pixel_level", "offer_id": "network_offer_id", "status": "pixel_status",
              "postback_type": "pixel_type", "url": "postback_url", "search": "search"}
PIXEL_LEVELS = ("global", "specific")
LIST_FILTERS = ("network_offer_id", "pixel_status", "pixel_type", "delivery_method")
EXCERPT_LIMIT = 2048  # the delivery log never returns more of a partner's server's answer than this
routes = Routes("Postbacks")


@bp.errorhandler(SelfServiceOff)
def self_service_off(err: SelfServiceOff):
    return jsonify(error=err.message), 403


@bp.errorhandler(NotSent)
def not_sent(err: NotSent):
    return jsonify(error=err.message), 409


@bp.errorhandler(TooManySends)
def too_many_sends(err: TooManySends):
    return jsonify(error=err.message), 429, {"Retry-After": str(err.retry_after)}


def _api_error(err: BadRequest) -> BadRequest:
    return BadRequest(API_FIELDS.get(err.field, err.field), err.rule)


@routes.get("/affiliates/pixels", "Your postbacks, paged", ok=paged("pixels", "Pixel"),
            params=PAGING + LIST_FILTERS + ("search", "filter"))
def pixels():
    scope, filters = principal().scope, _list_filters(request.args)
    try:
        found = scope.postbacks(parsing.page_of(request.args), search=request.args.get("search", ""), **filters)
    except BadRequest as err:
        raise _api_error(err) from None
    return jsonify(pixels=[pixel(p, scope.partner_id) for p in found.items], paging=paging(found))


@routes.get("/affiliates/pixels/<int:pixel_id>", "One postback", ok="Pixel", extra=(404,))
def pixel_detail(pixel_id: int):
    scope = principal().scope
    return jsonify(pixel(scope.postback(pixel_id), scope.partner_id))


@routes.post("/affiliates/pixels", "Add a postback", ok="Pixel", status=201, body="PixelRequest")
def pixel_create():
    scope = principal().scope
    scope.require_postbacks_editable()  # 403 before a word of the body is judged
    draft = draft_of(json_body())
    try:
        created = scope.create_postback(draft)
    except BadRequest as err:
        raise _api_error(err) from None
    return jsonify(pixel(created, scope.partner_id)), 201


@routes.put("/affiliates/pixels/<int:pixel_id>", "Replace a postback", ok="Pixel", body="PixelRequest", extra=(404,))
def pixel_update(pixel_id: int):
    scope = principal().scope
    scope.postback(pixel_id)  # another partner's id is a 404 before its body is even read
    scope.require_postbacks_editable()
    draft = draft_of(json_body())
    try:
        updated = scope.update_postback(pixel_id, draft)
    except BadRequest as err:
        raise _api_error(err) from None
    return jsonify(pixel(updated, scope.partner_id))


@routes.delete("/affiliates/pixels/<int:pixel_id>", "Delete a postback", extra=(404,), ok={
    "type": "object", "required": ["result"], "properties": {"result": {"const": True}}})
def pixel_delete(pixel_id: int):
    principal().scope.delete_postback(pixel_id)
    return jsonify(result=True)


@routes.post("/affiliates/pixels/<int:pixel_id>/test", "(ext) Send once with sample values", ok="Attempt",
             extra=(400, 404, 409))
def pixel_test(pixel_id: int):
    """(ext) Fire once with sample values (is_test 1) and answer with the attempt."""
    try:
        made = principal().scope.send_test(pixel_id)
    except BadRequest as err:
        raise _api_error(err) from None
    return jsonify(attempt(made))


@routes.post("/affiliates/pixels/<int:pixel_id>/deliveries/<int:delivery_id>/retry",
             "(ext) Try a failed or dead delivery again now", ok="Attempt", extra=(400, 404, 409))
def pixel_retry(pixel_id: int, delivery_id: int):
    """(ext) Try one failed (or dead) delivery of the postback again, now, and answer with the attempt."""
    try:
        made = principal().scope.retry_now(pixel_id, delivery_id)
    except BadRequest as err:
        raise _api_error(err) from None
    return jsonify(attempt(made))


@routes.get("/affiliates/pixels/<int:pixel_id>/deliveries", "(ext) The delivery log, newest first",
            ok=paged("deliveries", "Delivery"), params=PAGING + ("failed",), extra=(400, 404))
def pixel_deliveries(pixel_id: int):
    """(ext) The delivery log, newest first; ?failed=1 keeps the failed and dead deliveries only."""
    failed = request.args.get("failed", "0")
    if failed not in ("0", "1", "true", "false"):
        raise BadRequest("failed", "must be 1 or 0")
    found = principal().scope.deliveries(pixel_id, parsing.page_of(request.args),
                                         failed_only=failed in ("1", "true"))
    return jsonify(deliveries=[delivery(d) for d in found.items], paging=paging(found))


# --- request → façade -------------------------------------------------------------------------------


def draft_of(body: Mapping[str, Any]) -> PostbackDraft:
    """A whole pixel object in Everflow's names → the façade's draft (what is absent takes its default)."""
    level = body.get("pixel_level")
    if level is not None and level not in PIXEL_LEVELS:
        raise BadRequest("pixel_level", "must be global or specific")
    offer_id = body.get("network_offer_id")
    if level is None:  # Everflow's clients may leave the level out: an offer id says which one it is
        level = "specific" if offer_id not in (None, 0) else "global"
    if level == "global" and offer_id not in (None, 0):
        raise BadRequest("network_offer_id", "must be 0 or absent when pixel_level is global")
    if level == "specific" and offer_id in (None, 0):
        raise BadRequest("network_offer_id", "required when pixel_level is specific: an offer you can run")
    defaults = PostbackDraft()
    return PostbackDraft(
        delivery_method=body.get("delivery_method", defaults.delivery_method),
        all_offers=level == "global",
        offer_id=None if level == "global" else offer_id,
        postback_type=body.get("pixel_type", defaults.postback_type),
        event_name=body.get("event_name"),
        status=body.get("pixel_status", defaults.status),
        url=body.get("postback_url"),
        html_code=body.get("html_code"),
        delay_ms=body.get("delay_ms", defaults.delay_ms),
        description=body.get("description", defaults.description),
        send_status_updates=body.get("send_status_updates", defaults.send_status_updates),
    )


def _list_filters(args) -> dict[str, Any]:
    """Filters from plain query parameters, or from Everflow's `?filter=pixel_status%3Dactive` form."""
    given = {name: args.get(name) for name in LIST_FILTERS if args.get(name) not in (None, "")}
    for expression in args.getlist("filter"):
        name, sep, value = expression.partition("=")
        if not sep or name not in LIST_FILTERS:
            raise BadRequest("filter", f"must be <field>=<value> with a field of {', '.join(LIST_FILTERS)}")
        given[name] = value
    offer = given.get("network_offer_id")
    if offer is not None and not re.fullmatch(r"[0-9]{1,10}", offer):
        raise BadRequest("network_offer_id", "must be a whole number (0: the global pixels)")
    return {"offer_id": int(offer) if offer is not None else None, "status": given.get("pixel_status"),
            "postback_type": given.get("pixel_type"), "delivery_method": given.get("delivery_method")}


# --- façade → response ------------------------------------------------------------------------------


def _unix(value) -> int | None:
    return int(value.timestamp()) if value is not None else None


def pixel(view: PostbackView, partner_id: int) -> dict[str, Any]:
    return {
        "network_pixel_id": view.id,
        "network_affiliate_id": partner_id,
        "network_offer_id": view.offer_id or 0,
        "delivery_method": view.delivery_method,
        "pixel_level": "global" if view.all_offers else "specific",
        "pixel_status": view.status,
        "pixel_type": view.postback_type,
        "event_name": view.event_name or "",
        "postback_url": view.url or "",
        "html_code": view.html_code or "",
        "delay_ms": view.delay_ms,
        "description": view.description or "",
        "time_created": _unix(view.created_at),
        "time_saved": _unix(view.updated_at),
        # (ext) what the server keeps about the postback's health
        "send_status_updates": view.send_status_updates,
        "consecutive_failures": view.consecutive_failures,
        "disabled_reason": view.disabled_reason,
        "relationship": {"offer": {"network_offer_id": view.offer_id, "name": view.offer_name}
                         if view.offer_id is not None else None},
    }


def attempt(view: AttemptView) -> dict[str, Any]:
    excerpt = view.response_excerpt
    return {
        "attempt_id": view.id,
        "delivery_id": view.delivery_id,
        "attempt_number": view.attempt_number,
        "manual": view.manual,
        "unix_timestamp": _unix(view.attempted_at),
        "url": view.url,
        "resolved_ip": view.resolved_ip,
        "outcome": view.outcome,
        "status_code": view.status_code,
        "latency_ms": view.latency_ms,
        "error_class": view.error_class,
        "error": view.error,
        "response_excerpt": excerpt[:EXCERPT_LIMIT] if excerpt else excerpt,
    }


def delivery(view: DeliveryView) -> dict[str, Any]:
    return {
        "delivery_id": view.id,
        "network_pixel_id": view.postback_id,
        "event_id": view.event_id,
        "kind": view.kind,
        "is_test": view.is_test,
        "status": view.status,
        "attempts": view.attempts,
        "time_created": _unix(view.created_at),
        "next_attempt_unix_timestamp": _unix(view.next_attempt_at),
        "delivered_unix_timestamp": _unix(view.delivered_at),
        "last_status_code": view.last_status_code,
        "last_error": view.last_error,
        "relationship": {"attempts": [attempt(a) for a in view.log]},
    }
