"""The network, its affiliates and offers, and tracking links for any affiliate and offer."""

from __future__ import annotations

from flask import jsonify

from portal.api.networks import shapes
from portal.api.networks.blueprint import route
from portal.api.networks.envelope import json_body, network, page, paging
from portal.api.networks.requests import positive_id
from portal.domain import timezones, tracking_links
from portal.domain.criteria import MAX_FILTER_VALUES
from portal.domain.errors import BadRequest, NotFound
from portal.domain.text import text_fault
from portal.http.contract import public_base_url
from portal.models.accounts import PARTNER_STATUSES_WITHOUT_ACCESS
from portal.queries import network_directory as directory
from portal.queries.offers import landing_pages

MAX_SEARCH = 200


@route("GET", "", "The network's name, status, currency and reporting timezone", "Network", ok="Network")
def network_info():
    s = network()
    return jsonify(network_id=s.id, name=s.network_name, status="active", default_currency_id=s.currency,
                   reporting_timezone_id=timezones.reported_id(s.timezone))


def _filters(body: dict) -> dict:
    filters = body.get("filters", {})
    if filters is None:
        return {}
    if not isinstance(filters, dict):
        raise BadRequest("filters", "must be an object of field: value")
    return filters


def _text(filters: dict, name: str) -> str:
    value = filters.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_SEARCH or text_fault(value):
        raise BadRequest(name, f"must be text of at most {MAX_SEARCH} characters")
    return value.strip()


def _name_search(body: dict, filters: dict) -> str:
    """Everflow's `search_terms` [{"search_type": "name", "value"}] (or a `name` filter): a name substring."""
    terms = body.get("search_terms")
    if terms in (None, ""):
        return _text(filters, "name")
    if not isinstance(terms, list) or len(terms) > 1:
        raise BadRequest("search_terms", "must be a list of one {\"search_type\": \"name\", \"value\"} object")
    term = terms[0] if terms else {}
    if not isinstance(term, dict) or term.get("search_type", "name") != "name":
        raise BadRequest("search_terms", "search_type must be name")
    return _text(term, "value")


def _id_list(filters: dict, name: str) -> tuple[int, ...]:
    values = filters.get(name)
    if values in (None, ""):
        return ()
    if not isinstance(values, list) or len(values) > MAX_FILTER_VALUES:
        raise BadRequest(name, f"must be a list of at most {MAX_FILTER_VALUES} ids")
    return tuple(positive_id(v, name) for v in values)


def _affiliates():
    body = json_body(optional=True)
    filters, wanted = _filters(body), page(body)
    rows, total = directory.affiliate_page(wanted.offset, wanted.page_size,
                                           status=_text(filters, "account_status") or None,
                                           manager_ids=_id_list(filters, "account_manager_ids"),
                                           search=_name_search(body, filters))
    network_id = network().id
    return jsonify(affiliates=[shapes.affiliate(p, network_id) for p in rows], paging=paging(wanted, total))


route("POST", "/affiliatestable", "Affiliates, filtered and paged", "Affiliates", body="TableRequest",
      ok="AffiliatePage", query=("page", "page_size"), extra=(400,))(_affiliates)


@route("POST", "/affiliates/table", "Affiliates, filtered and paged (the same as /affiliatestable)", "Affiliates",
       body="TableRequest", ok="AffiliatePage", query=("page", "page_size"), extra=(400,))
def affiliates_table():
    return _affiliates()


@route("GET", "/affiliates/<int:affiliate_id>", "One affiliate", "Affiliates", ok="Affiliate", extra=(404,))
def affiliate(affiliate_id: int):
    found = directory.affiliate(affiliate_id)
    if found is None:
        raise NotFound("affiliate")
    return jsonify(shapes.affiliate(found, network().id))


def _offers():
    body = json_body(optional=True)
    filters, wanted = _filters(body), page(body)
    advertisers = _id_list(filters, "network_advertiser_ids")
    if filters.get("network_advertiser_id") not in (None, "", 0):
        advertisers += (positive_id(filters["network_advertiser_id"], "network_advertiser_id"),)
    rows, total = directory.offer_page(wanted.offset, wanted.page_size, status=_text(filters, "offer_status") or None,
                                       advertiser_ids=advertisers, search=_name_search(body, filters))
    network_id = network().id
    return jsonify(offers=[shapes.offer(o, a, network_id) for o, a in rows], paging=paging(wanted, total))


route("POST", "/offerstable", "Offers with their advertiser, filtered and paged", "Offers", body="TableRequest",
      ok="OfferPage", query=("page", "page_size"), extra=(400,))(_offers)


@route("POST", "/offers/table", "Offers, filtered and paged (the same as /offerstable)", "Offers",
       body="TableRequest", ok="OfferPage", query=("page", "page_size"), extra=(400,))
def offers_table():
    return _offers()


@route("GET", "/offers/<int:offer_id>", "One offer, with its advertiser and payout/revenue", "Offers", ok="Offer",
       extra=(404,))
def offer(offer_id: int):
    found = directory.offer(offer_id)
    if found is None:
        raise NotFound("offer")
    return jsonify(shapes.offer(*found, network().id))


@route("POST", "/tracking/offers/clicks", "A tracking link for an affiliate and an offer", "Tracking",
       body="TrackingLinkRequest", ok="TrackingLink", extra=(400, 404))
def tracking_link():
    body = json_body()
    affiliate_id = positive_id(body.get("network_affiliate_id"), "network_affiliate_id")
    offer_id = positive_id(body.get("network_offer_id"), "network_offer_id")
    partner, found = directory.affiliate(affiliate_id), directory.offer(offer_id)
    if partner is None or partner.status in PARTNER_STATUSES_WITHOUT_ACCESS:
        raise BadRequest("network_affiliate_id", "no such active affiliate")
    if found is None:
        raise BadRequest("network_offer_id", "no such offer")
    url_id = body.get("network_offer_url_id") or 0
    if url_id:
        url_id = positive_id(url_id, "network_offer_url_id")
        if url_id not in {u.id for u in landing_pages(offer_id)}:
            raise BadRequest("network_offer_url_id", "not a landing page of this offer")
    values = {}
    for name in tracking_links.SUB_PARAMETERS:
        value = body.get(name)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or len(value) > tracking_links.MAX_SUB_LENGTH or text_fault(value):
            raise BadRequest(name, f"must be text of at most {tracking_links.MAX_SUB_LENGTH} characters")
        values[name] = value
    creative = body.get("creative_id")
    if creative not in (None, "", 0):
        values["creative_id"] = positive_id(creative, "creative_id")
    return jsonify(url=tracking_links.click_url(public_base_url(), affiliate_id, offer_id, url_id, values))
