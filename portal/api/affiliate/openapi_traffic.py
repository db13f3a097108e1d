"""The traffic endpoints' part of the OpenAPI document: the objects inferred from the real serialisers
(portal.api.affiliate.traffic) over sample records, and the query parameters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from portal.affiliate.traffic import BlockedEntry, OfferBlocking
from portal.api.affiliate import traffic
from portal.api.affiliate.openapi_schemas import infer, merge
from portal.domain.traffic import COMPARISONS, CONTROL_TYPES, VARIABLES, TrafficControlView

_AT = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
TAG = ("Traffic controls, read-only (Everflow's names): the rules the tracker applies to your clicks. A "
       "blacklist sends matching clicks to the fallback URL, recorded as invalid; a whitelist does the same to "
       "clicks matching none of its values. Extensions: name, time_created, time_saved, relationship.offers.")


def _control(filled: bool) -> TrafficControlView:
    return TrafficControlView(7, "Blocked sources", "active", "blacklist", "sub1", "exact_match",
                              ("spam", "junk") if filled else (), not filled, ((3, "Acme"),) if filled else (),
                              _AT if filled else None, _AT if filled else None, _AT, _AT)


def _both(build) -> dict[str, Any]:
    return merge(infer(build(True)), infer(build(False)))


def _enums(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema["properties"]
    props["status"]["enum"] = ["active", "inactive"]
    props["control_type"]["enum"] = list(CONTROL_TYPES)
    props["comparison_method"]["enum"] = list(COMPARISONS)
    props["variables"]["items"]["enum"] = list(VARIABLES)
    return schema


def response_schemas() -> dict[str, dict[str, Any]]:
    blocked = OfferBlocking(3, (BlockedEntry("exact_match", "sub1", "spam"),))
    return {
        "TrafficControl": _enums(_both(lambda f: traffic.control(_control(f), False))),
        "TrafficControlDetail": _enums(_both(lambda f: traffic.control(_control(f), True))),
        "TrafficBlocking": merge(infer(traffic.blocking(blocked)), infer(traffic.blocking(OfferBlocking(0, ())))),
    }


def parameters() -> dict[str, dict]:
    """Keyed apart from other endpoints' parameters of the same name (pixels have a network_offer_id too);
    the names are Everflow's (traffic.BLOCKING_FILTERS)."""
    return {
        "control_id": {"name": "control_id", "in": "path", "required": True,
                       "schema": {"type": "integer", "minimum": 0},
                       "description": "The rule's network_traffic_control_id"},
        "traffic_offer_id": {"name": "network_offer_id", "in": "query", "required": False,
                             "schema": {"type": "string", "pattern": "^([0-9]{1,10})?$"},
                             "description": "Only this offer's blocked values (and those on every offer)"},
        "traffic_blocking_status": {"name": "traffic_blocking_status", "in": "query", "required": False,
                                    "schema": {"type": "string", "enum": ["", "active", "inactive"]},
                                    "description": "Only active (or inactive) blocks"},
        "traffic_blocking_filter": {"name": "filter", "in": "query", "required": False,
                                    "schema": {"type": "string", "pattern": (
                                        "^(network_offer_id=[0-9]{1,10}|traffic_blocking_status=(active|inactive)"
                                        f"|time_(created|saved)=[0-9]{{1,{traffic.MAX_UNIX_DIGITS}}})$")},
                                    "description": "Everflow's basic-filter form of the four filters, e.g. "
                                                   "network_offer_id=12 (repeatable)"},
        "traffic_time_created": {"name": "time_created", "in": "query", "required": False,
                                 "schema": {"type": "string", "pattern": f"^([0-9]{{1,{traffic.MAX_UNIX_DIGITS}}})?$"},
                                 "description": "Unix seconds: only the values of rules created at or after it"},
        "traffic_time_saved": {"name": "time_saved", "in": "query", "required": False,
                               "schema": {"type": "string", "pattern": f"^([0-9]{{1,{traffic.MAX_UNIX_DIGITS}}})?$"},
                               "description": "Unix seconds: only the values of rules last saved at or after it "
                                              "(poll with the time of your last call to see what changed)"},
    }
