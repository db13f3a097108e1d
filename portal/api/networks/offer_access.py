"""Who may see and run each offer, and partners' own payouts: Everflow's Offer Visibility and Custom
Payout/Revenue endpoints over OfferAccess.

Offer visibility (Everflow): an affiliate is visible, rejected or hidden on an offer; with no setting, a
public offer is visible and a require_approval or private one is not runnable. From OfferAccess: approved
(a grant, an approved application) → network_affiliate_visible_ids; blocked → network_affiliate_hidden_ids;
rejected (an application refused) → network_affiliate_rejected_ids, except on a public offer, where a
rejected row changes nothing (portal.queries.offer_access) and so is not listed. Pending and default rows
are the default. The list form's records have the one-offer form's fields (Everflow's docs name only
`visibility: [records]`).

Custom payouts: each partner's payout override is one setting (its id is the OfferAccess row's) for that
affiliate alone, on the base conversion (network_offer_payout_revenue_id 0). Overrides hold no revenue of
the network's: is_custom_revenue_enabled is false and revenue_type "blank", as Everflow writes a setting
that only changes the payout.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import jsonify, request

from portal.api.networks import openapi
from portal.api.networks.blueprint import route
from portal.api.networks.envelope import network
from portal.api.networks.requests import positive_id
from portal.api.networks.shapes import PAYOUT_TYPES, money, unix
from portal.domain.errors import BadRequest, NotFound
from portal.queries import network_offer_access as access
from portal.queries.network_offer_access import OfferStandings, PayoutOverride

FILTER_FIELDS = ("network_offer_id", "time_created", "time_saved")
MAX_FILTERS = 5
MAX_UNIX = 32_503_680_000  # year 3000
BAD_FILTER = "must be <field>=<value> (or > or < for times) with a field of " + ", ".join(FILTER_FIELDS)

_INT, _NUM, _STR, _BOOL = {"type": "integer"}, {"type": "number"}, {"type": "string"}, {"type": "boolean"}
_IDS = {"type": "array", "items": _INT}
_VISIBILITY = {"type": "object", "required": ["network_offer_id", "network_affiliate_visible_ids",
                                              "network_affiliate_rejected_ids", "network_affiliate_hidden_ids"],
               "properties": {"network_id": _INT, "network_offer_id": _INT, "network_affiliate_visible_ids": _IDS,
                              "network_affiliate_rejected_ids": _IDS, "network_affiliate_hidden_ids": _IDS}}
_SETTING = {"type": "object", "required": ["network_custom_payout_revenue_setting_id", "network_offer_id",
                                           "network_affiliate_ids", "is_custom_payout_enabled", "payout_type"],
            "properties": {
                "network_custom_payout_revenue_setting_id": _INT, "network_id": _INT, "network_offer_id": _INT,
                "network_offer_payout_revenue_id": _INT, "name": _STR, "description": _STR,
                "public_description": _STR, "custom_setting_status": {"enum": ["active", "inactive"]},
                "is_apply_all_affiliates": _BOOL, "network_affiliate_ids": {**_IDS, "type": ["array", "null"]},
                "is_custom_payout_enabled": _BOOL, "payout_type": _STR, "payout_amount": _NUM,
                "payout_percentage": _NUM, "is_custom_revenue_enabled": _BOOL, "revenue_type": _STR,
                "revenue_amount": _NUM, "revenue_percentage": _NUM, "is_postback_disabled": _BOOL,
                "date_valid_from": _STR, "date_valid_to": _STR, "is_apply_specific_offer_urls": _BOOL,
                "network_offer_url_ids": _IDS, "currency_id": _STR, "time_created": _INT, "time_saved": _INT}}
openapi.SCHEMAS.update({
    "OfferVisibility": _VISIBILITY,
    "OfferVisibilityList": {"type": "object", "required": ["visibility"],
                            "properties": {"visibility": {"type": "array", "items": {"$ref": openapi.REF +
                                                                                               "OfferVisibility"}}}},
    "CustomPayoutRevenue": _SETTING,
    "CustomPayoutRevenueList": {"type": "object", "required": ["custom_payout_revenue_settings"], "properties": {
        "custom_payout_revenue_settings": {"type": "array", "items": {"$ref": openapi.REF + "CustomPayoutRevenue"}}}},
})


def visibility_record(offer: OfferStandings, network_id: int) -> dict:
    by_status: dict[str, list[int]] = {"approved": [], "rejected": [], "blocked": []}
    for partner_id, status in offer.standings:
        if status == "rejected" and offer.visibility == "public":
            continue  # a refused application on a public offer takes nothing away (offer_access.runnable)
        by_status[status].append(partner_id)
    return {"network_id": network_id, "network_offer_id": offer.offer_id,
            "network_affiliate_visible_ids": by_status["approved"],
            "network_affiliate_rejected_ids": by_status["rejected"],
            "network_affiliate_hidden_ids": by_status["blocked"]}


def custom_setting(o: PayoutOverride, network_id: int) -> dict:
    percent = o.payout_type == "percent"
    return {
        "network_custom_payout_revenue_setting_id": o.access_id, "network_id": network_id,
        "network_offer_id": o.offer_id, "network_offer_payout_revenue_id": 0,
        "name": f"{o.partner_name} on {o.offer_name}"[:255], "description": "", "public_description": "",
        "custom_setting_status": "active", "is_apply_all_affiliates": False, "network_affiliate_ids": [o.partner_id],
        "is_custom_payout_enabled": True, "payout_type": PAYOUT_TYPES.get(o.payout_type, "cpa"),
        "payout_amount": 0.0 if percent else money(o.payout_amount),
        "payout_percentage": o.payout_amount / 100 if percent else 0.0,
        "is_custom_revenue_enabled": False, "revenue_type": "blank", "revenue_amount": 0.0, "revenue_percentage": 0.0,
        "is_postback_disabled": False, "date_valid_from": "", "date_valid_to": "",
        "is_apply_specific_offer_urls": False, "network_offer_url_ids": [], "currency_id": o.currency,
        "time_created": unix(o.created_at), "time_saved": unix(o.updated_at),
    }


@route("GET", "/offers/<int:offer_id>/visibility", "Which affiliates are visible, rejected or hidden on an offer",
       "Offer Visibility", ok="OfferVisibility", extra=(404,))
def offer_visibility(offer_id: int):
    found = access.offer_standings(offer_id)
    if not found:
        raise NotFound("offer")
    return jsonify(visibility_record(found[0], network().id))


@route("GET", "/offervisibility", "Every offer's affiliate visibility", "Offer Visibility", ok="OfferVisibilityList")
def offer_visibility_list():
    network_id = network().id
    return jsonify(visibility=[visibility_record(o, network_id) for o in access.offer_standings()])


def _filters() -> dict:
    """Everflow's basic filters, ?filter=<field><op><value> (op =, > or <), each field at most once."""
    given = request.args.getlist("filter")
    if len(given) > MAX_FILTERS:
        raise BadRequest("filter", f"at most {MAX_FILTERS} filters")
    found: dict = {}
    for expression in given:
        at = next((i for i, ch in enumerate(expression) if ch in "=<>"), -1)
        field, op, value = expression[:at].strip(), expression[at:at + 1], expression[at + 1:].strip()
        if at < 1 or field not in FILTER_FIELDS or field in found or (field == "network_offer_id" and op != "="):
            raise BadRequest("filter", BAD_FILTER)
        if field == "network_offer_id":
            found[field] = positive_id(value, "filter")
            continue
        if not (value.isascii() and value.isdigit() and len(value) <= 11 and int(value) <= MAX_UNIX):
            raise BadRequest("filter", f"{field} is a unix time in seconds")
        found[field] = (op, datetime.fromtimestamp(int(value), UTC))
    return found


@route("GET", "/custom/payoutrevenue", "Custom payouts: partners' own payouts on offers", "Custom Payout/Revenue",
       ok="CustomPayoutRevenueList", query=("filter",), extra=(400,))
def custom_payouts():
    filters, network_id = _filters(), network().id
    found = access.payout_overrides(filters.get("network_offer_id"), filters.get("time_created"),
                                    filters.get("time_saved"))
    return jsonify(custom_payout_revenue_settings=[custom_setting(o, network_id) for o in found])


@route("GET", "/custom/payoutrevenue/<int:setting_id>", "One custom payout", "Custom Payout/Revenue",
       ok="CustomPayoutRevenue", extra=(404,))
def custom_payout(setting_id: int):
    found = access.payout_override(setting_id)
    if found is None:
        raise NotFound("custom payout")
    return jsonify(custom_setting(found, network().id))
