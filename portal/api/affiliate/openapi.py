"""The Affiliate API's OpenAPI 3.1 description (`GET /v1/affiliates/openapi.json`), built from the code.

Nothing here restates a rule by hand where the code already holds it: each operation is declared beside
its route (`operations.Routes`), which gives its path, method and path variables; the criteria bodies and
the paging and sort arguments come from the tables their parser reads (portal.affiliate.parsing), and
`openapi_schemas` infers every response object from the real serialisers. tests/api/affiliate/test_openapi.py
checks that the document and `app.url_map` agree in both directions and validates it with an independent
validator; tests/api/affiliate/test_schemathesis.py fuzzes the running API against it.

The document is public: it holds no partner data, is the same for everyone, and tools (and /docs/api)
fetch it before anyone has a key; so it spends none of the network's shared request budget either.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from flask import current_app, jsonify

from portal.affiliate import network_view, parsing
from portal.affiliate.postbacks import MAX_SEARCH
from portal.api.affiliate import openapi_billing, openapi_offers, openapi_traffic, pixels
from portal.api.affiliate.openapi_schemas import dashboard_schema, request_examples, request_schemas, response_schemas
from portal.api.affiliate.operations import JSON, OPERATIONS, RATE_HEADERS, SECURITY, Routes, ref
from portal.delivery.macros import macro_table
from portal.domain import criteria
from portal.domain.postbacks import DELIVERY_METHODS, POSTBACK_STATUSES, POSTBACK_TYPES
from portal.http import contract
from portal.http.contract import AFFILIATE_OPENAPI_PATH, KEY_HEADERS, public_base_url

OPENAPI_PATH = AFFILIATE_OPENAPI_PATH
OFFERS_TAG = ("Offers, your tracking links, coupon codes and product feeds. Names are Everflow's; extensions: "
              "category, relationship.payouts (payout_type cpa/cps/cpc, payout_amount in the offer's currency, "
              "payout_percentage of the sale: your own payout), relationship.urls, relationship.application, "
              "restrictions, allowed_countries, is_allow_deep_link, can_apply, the trackingurl and file "
              "endpoints. tracking_url is empty unless you can run the offer.")
routes = Routes("Account")


# --- responses, parameters, paths ---------------------------------------------------------------------

_ERRORS = {
    400: "Bad input: the message names the field and the rule it broke",
    401: f"No key (`{contract.NO_KEY}`), or an unknown, malformed or revoked one (`{contract.INVALID_KEY}`)",
    403: f"`{contract.IP_NOT_ALLOWED}`, `{contract.OUT_OF_REALM}` (a Network API credential), the account "
         "is not active, or (pixel writes and tests) the network has turned off postback self-service",
    404: "No such object, or another partner's (the same answer for both)",
    405: "Method not allowed",
    409: "Nothing to send",
    413: "Request body too large",
    415: "Not a JSON body",
    429: f"`{contract.RATE_LIMITED}` (the network's budget or the partner's share of it), "
         f"`{contract.AUTH_THROTTLED}`, or on pixel tests the partner's cap on test sends and retries: wait "
         "`Retry-After` seconds",
    503: "The database or the rate-limit store is unreachable: retry after `Retry-After` seconds",
}


def paths(today: date | None = None) -> dict[str, dict]:
    """Every operation, as declared beside its route (portal.api.affiliate.operations); with `today`, each
    request body carries the example "Try it out" starts with (openapi_schemas.request_examples)."""
    examples = request_examples(today) if today is not None else {}
    found: dict[str, dict] = {}
    for operation in OPERATIONS:
        described = operation.describe()
        if operation.body in examples:
            described["requestBody"]["content"][JSON]["example"] = examples[operation.body]
        found.setdefault(operation.path, {})[operation.method] = described
    return found


def _parameters() -> dict[str, dict]:
    def query(name, schema, description):
        return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}

    def path(name, schema, description):
        return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}

    return {
        **{field.name: field.parameter() for field in (*parsing.PAGING.fields, *parsing.ORDER.fields)},
        "conversion_id": path("conversion_id", {"type": "string", "minLength": 1, "maxLength": 64},
                              "The conversion's id"),
        "transaction_id": path("transaction_id", {"type": "string", "minLength": 1, "maxLength": 64},
                               "The click's transaction id"),
        "pixel_id": path("pixel_id", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
                         "The postback's network_pixel_id"),
        "delivery_id": path("delivery_id", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
                            "A delivery's id, from the delivery log"),
        # An empty list filter is no filter (pixels._list_filters).
        "network_offer_id": query("network_offer_id", {"type": "string", "pattern": "^([0-9]{1,10})?$"},
                                  "Only this offer's postbacks (0: the global ones)"),
        "pixel_status": query("pixel_status", {"type": "string", "enum": ["", *POSTBACK_STATUSES]}, "Only these"),
        "pixel_type": query("pixel_type", {"type": "string", "enum": ["", *POSTBACK_TYPES]}, "Only these"),
        "delivery_method": query("delivery_method", {"type": "string", "enum": ["", *DELIVERY_METHODS]},
                                 "Only these"),
        "search": query("search", {"type": "string", "maxLength": MAX_SEARCH, "pattern": "^[^\\x00-\\x1f\\x7f]*$"},
                        "Text in the URL or description"),
        "filter": query("filter", {"type": "string", "pattern": _pixel_filter_pattern()},
                        "Everflow's form, e.g. pixel_status=active"),
        "failed": query("failed", {"type": "string", "enum": ["0", "1", "true", "false"]},
                        "1: only failed and dead deliveries"),
        **openapi_offers.parameters(),
        **openapi_traffic.parameters(),
        **openapi_billing.parameters(),
    }


def _pixel_filter_pattern() -> str:
    """`?filter=<field>=<value>`: each list filter with the values the plain parameter of its name takes."""
    values = {"network_offer_id": "[0-9]{1,10}", "pixel_status": "|".join(POSTBACK_STATUSES),
              "pixel_type": "|".join(POSTBACK_TYPES), "delivery_method": "|".join(DELIVERY_METHODS)}
    return "^(" + "|".join(f"{name}=({values[name]})" for name in pixels.LIST_FILTERS) + ")$"


def _components() -> dict[str, Any]:
    error = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}},
             "additionalProperties": False}
    responses = {}
    for status, text in _ERRORS.items():
        headers = dict(RATE_HEADERS)
        if status in (429, 503):
            headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
        responses[f"E{status}"] = {"description": text, "headers": headers,
                                   "content": {JSON: {"schema": ref("Error")}}}
    paging = {"type": "object", "required": ["page", "page_size", "total_count"], "additionalProperties": False,
              "properties": {"page": {"type": "integer", "minimum": 1},
                             "page_size": {"type": "integer", "minimum": 1, "maximum": criteria.MAX_PAGE_SIZE},
                             "total_count": {"type": "integer", "minimum": 0}}}
    return {
        "schemas": {"Error": error, "Paging": paging, "DashboardSummary": dashboard_schema(),
                    **response_schemas(), **request_schemas(), **openapi_offers.response_schemas(),
                    **openapi_offers.request_schemas(), **openapi_traffic.response_schemas(),
                    **openapi_billing.response_schemas(), **openapi_billing.request_schemas()},
        "responses": responses,
        "parameters": _parameters(),
        "headers": {
            "X-RateLimit-Limit": {"description": "Requests the binding window allows: the partner's share, or "
                                                 "the network's budget when that has fewer left (or when the "
                                                 "request spent nothing)", "required": True,
                                  "schema": {"type": "integer"}},
            "X-RateLimit-Remaining": {"description": "Requests left in that window", "required": True,
                                      "schema": {"type": "integer", "minimum": 0}},
            "X-RateLimit-Reset": {"description": "Seconds until the oldest request counted in that window leaves "
                                                 "it (0 when none is counted)", "required": True,
                                  "schema": {"type": "integer", "minimum": 0}},
            "Retry-After": {"description": "Seconds to wait before retrying", "required": True,
                            "schema": {"type": "integer", "minimum": 1}},
        },
        "securitySchemes": {
            "EflowApiKey": {"type": "apiKey", "in": "header", "name": KEY_HEADERS[0],
                            "description": "Your API key (Company → My Account → API)"},
            "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": KEY_HEADERS[1],
                             "description": "The same key under another header name"},
            "BearerKey": {"type": "http", "scheme": "bearer", "description": "The same key as a bearer token"},
        },
    }


def build(base_url: str, network_name: str = "Partner Network", today: date | None = None) -> dict[str, Any]:
    """The whole document for a network served at `base_url` (its scheme and host, no trailing slash);
    request examples end on `today` (default: today in UTC)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{network_name} Affiliate API",
            "version": "1",
            "description": (
                "The partner-facing API, compatible with the Everflow Affiliate API. Send your key in the "
                f"`{KEY_HEADERS[0]}` header (or `{KEY_HEADERS[1]}`, or `Authorization: Bearer`). One request "
                "budget is shared by the whole network, and each partner may spend only a share of it: every "
                "response carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (seconds) of the "
                "budget that binds; a 429 carries Retry-After. An address whose keys failed too often gets 429 "
                "for a while. Every error is `{\"error\": \"...\"}`. Guide: /docs"),
        },
        "servers": [{"url": base_url.rstrip("/") or "/"}],
        "security": SECURITY,
        "tags": [{"name": "Account"}, {"name": "Reporting"}, {"name": "Offers", "description": OFFERS_TAG},
                 {"name": "Postbacks", "description":
                  "Postbacks (\"pixels\" in this API). Macros in postback_url: "
                  + ", ".join(f"{{{name}}} ({text})" for name, text in macro_table())},
                 {"name": "Traffic", "description": openapi_traffic.TAG},
                 {"name": "Billing", "description": openapi_billing.TAG}],
        "paths": paths(today or datetime.now(UTC).date()),
        "components": _components(),
    }


@lru_cache(maxsize=8)
def cached(base_url: str, network_name: str, today: date) -> dict[str, Any]:
    """Built once per base URL, name and day: otherwise the document only changes when the code does."""
    return build(base_url, network_name, today)


@routes.get(OPENAPI_PATH.removeprefix("/v1"), "This document", ok={"type": "object"}, public=True,
            description="Public: no key needed and no request budget spent (it holds no partner data).")
def openapi_document():
    """(ext) This description: public (it holds no partner data) and free of the request budget."""
    response = jsonify(cached(public_base_url(), network_view().name, datetime.now(UTC).date()))
    # Shared caches may keep it only when its server URL is the configured one, not the request's Host
    # header (which a client chooses: a cached copy must never send other partners' keys elsewhere).
    configured = bool(current_app.config.get("PUBLIC_BASE_URL"))
    response.headers["Cache-Control"] = "public, max-age=300" if configured else "no-cache"
    return response
