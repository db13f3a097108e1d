"""Traffic endpoints, read-only, in Everflow's paths and names: the traffic controls that apply to you, one of
them with its values, and the blocked values by offer (trafficblocking). Another partner's rule is a 404.

Extensions: `name` and `time_created`/`time_saved` on a control (Everflow's network object has them), and
relationship.offers, the offers a control names that you can see (empty when it is for every offer).
trafficblocking's network_offer_id 0 is a block list on every offer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import jsonify, request

from portal.affiliate.traffic import OfferBlocking
from portal.api.affiliate.errors import ApiError
from portal.api.affiliate.operations import Routes
from portal.api.affiliate.views import principal
from portal.domain.criteria import MAX_ID
from portal.domain.traffic import TrafficControlView

routes = Routes("Traffic")
STATUSES = ("active", "inactive")
# trafficblocking's query filters, Everflow's: as plain query arguments or in its basic-filter form.
BLOCKING_FILTERS = ("network_offer_id", "traffic_blocking_status", "time_created", "time_saved")
BLOCKING_PARAMS = ("traffic_offer_id", "traffic_blocking_status", "traffic_time_created", "traffic_time_saved",
                   "traffic_blocking_filter")  # their OpenAPI parameter keys (openapi_traffic.parameters)
BLOCKING_DESCRIPTION = (
    "Everflow's Find All Blocked Offer Sources. Filters as plain query arguments (network_offer_id, "
    "traffic_blocking_status, time_created, time_saved) or in Everflow's basic-filter form, "
    "?filter=network_offer_id%3D12 (repeatable). time_created and time_saved are Unix seconds: only the values "
    "of rules created (or last saved) at or after them.")
MAX_UNIX_DIGITS = 11  # Unix seconds up to the year 5138: the filters' whole range


def _since(name: str, value: str) -> datetime | None:
    """time_created / time_saved: Unix seconds, the rules created or saved at or after them (None: no filter)."""
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= MAX_UNIX_DIGITS):
        raise ApiError(400, f"{name}: Unix seconds, a whole number")
    return datetime.fromtimestamp(int(value), UTC)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def control(view: TrafficControlView, with_values: bool) -> dict[str, Any]:
    relationship: dict[str, Any] = {"offers": [{"network_offer_id": i, "name": name} for i, name in view.offers]}
    if with_values:
        relationship["values"] = list(view.values)
    return {
        "network_traffic_control_id": view.id, "name": view.name, "status": view.status,
        "is_apply_all_offers": view.is_apply_all_offers, "control_type": view.control_type,
        "date_valid_from": _when(view.date_valid_from), "date_valid_to": _when(view.date_valid_to),
        "comparison_method": view.comparison_method, "variables": [view.variable],
        "time_created": int(view.created_at.timestamp()), "time_saved": int(view.updated_at.timestamp()),
        "relationship": relationship,
    }


def blocking(found: OfferBlocking) -> dict[str, Any]:
    entries = [{"comparison_method": e.comparison_method, "variable": e.variable, "variable_value": e.variable_value}
               for e in found.entries]
    return {"network_offer_id": found.offer_id,
            "relationship": {"variables": {"total": len(entries), "entries": entries}}}


@routes.get("/affiliates/trafficcontrols", "The traffic controls that apply to you",
            ok={"type": "object", "required": ["traffic_controls"], "additionalProperties": False,
                "properties": {"traffic_controls": {"type": "array", "items": {"$ref":
                                                                                "#/components/schemas/TrafficControl"}}}})
def traffic_controls():
    return jsonify(traffic_controls=[control(c, False) for c in principal().scope.traffic_controls()])


@routes.get("/affiliates/trafficcontrols/<int:control_id>", "One traffic control, with its values",
            ok="TrafficControlDetail", extra=(404,))
def traffic_control(control_id: int):
    found = principal().scope.traffic_control(control_id)
    if found is None:
        raise ApiError(404, "Not found")
    return jsonify(control(found, True))


@routes.get("/affiliates/trafficblocking", "The values blocked on your traffic, by offer",
            ok={"type": "object", "required": ["traffic_blocking"], "additionalProperties": False,
                "properties": {"traffic_blocking": {"type": "array", "items": {"$ref":
                                                                                "#/components/schemas/TrafficBlocking"}}}},
            params=BLOCKING_PARAMS, description=BLOCKING_DESCRIPTION)
def traffic_blocking():
    given = blocking_filters(request.args)
    offer_id, status = given.get("network_offer_id", ""), given.get("traffic_blocking_status", "")
    created_since = _since("time_created", given.get("time_created", ""))
    saved_since = _since("time_saved", given.get("time_saved", ""))
    wanted = int(offer_id) if offer_id and int(offer_id) > 0 else None
    if wanted is not None and wanted > MAX_ID:
        return jsonify(traffic_blocking=[])  # no offer has such an id
    found = principal().scope.traffic_blocking(wanted, status or None, created_since, saved_since)
    return jsonify(traffic_blocking=[blocking(b) for b in found])


def blocking_filters(args) -> dict[str, str]:
    """The list's filters from plain query arguments, or from Everflow's basic-filter form
    `?filter=network_offer_id%3D12` (one field per `filter`, the same values the plain argument takes); each
    value given either way is checked, and a `filter` wins over the plain argument of the same name."""
    given = [(name, args.get(name, "")) for name in BLOCKING_FILTERS if args.get(name)]
    for expression in args.getlist("filter"):
        name, sep, value = expression.partition("=")
        if not sep or name not in BLOCKING_FILTERS:
            raise ApiError(400, f"filter: must be <field>=<value> with a field of {', '.join(BLOCKING_FILTERS)}")
        given.append((name, value))
    for name, value in given:
        if name == "network_offer_id" and value and not (value.isascii() and value.isdigit() and len(value) <= 10):
            raise ApiError(400, "network_offer_id: a whole number")
        if name == "traffic_blocking_status" and value and value not in STATUSES:
            raise ApiError(400, "traffic_blocking_status: active or inactive")
    return dict(given)
