"""The Affiliate API's OpenAPI 3.1 description (`GET /v1/affiliates/openapi.json`), built from the code.

Nothing here restates a rule by hand where the code already holds it: report columns, filter types,
order fields, page sizes, export formats, export columns and timezone ids come from `criteria`,
`timezones` and `exports`; the body schemas come from `openapi_schemas`, which infers every response
object from the real serialisers. tests/api/test_openapi.py checks that the document and `app.url_map`
agree in both directions and validates it with an independent validator; tests/api/test_schemathesis.py
fuzzes the running API against it.

The document is public: it holds no partner data, is the same for everyone, and tools (and /docs/api)
fetch it before anyone has a key; so it spends none of the network's shared request budget either.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import current_app, jsonify

from portal.affiliate import parsing
from portal.affiliate.postbacks import MAX_SEARCH
from portal.api.affiliate import pixels
from portal.api.affiliate.blueprint import bp, public
from portal.api.affiliate.openapi_schemas import dashboard_schema, export_row, request_schemas, response_schemas
from portal.delivery.macros import macro_table
from portal.domain import criteria
from portal.exports.conversions import CONVERSION_COLUMNS
from portal.exports.reports import REPORT_METRIC_COLUMNS
from portal.exports.tabular import EXPORT_FORMATS
from portal.http import contract
from portal.http.contract import AFFILIATE_OPENAPI_PATH, KEY_HEADERS, public_base_url
from portal.http.downloads import CONTENT_TYPES
from portal.models.postbacks import DELIVERY_METHODS, POSTBACK_STATUSES, POSTBACK_TYPES
from portal.queries.settings import network_settings

OPENAPI_PATH = AFFILIATE_OPENAPI_PATH
_SECURITY = [{"EflowApiKey": []}, {"ApiKeyHeader": []}, {"BearerKey": []}]
JSON = "application/json"
_EMPTY = {"type": "string", "maxLength": 0}


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
    429: f"`{contract.RATE_LIMITED}` (the network-wide budget), or on pixel tests the partner's cap on test "
         "sends and retries: wait `Retry-After` seconds",
    503: "The database or the rate-limit store is unreachable: retry after `Retry-After` seconds",
}
_RATE_HEADERS = {
    "X-RateLimit-Limit": {"$ref": "#/components/headers/X-RateLimit-Limit"},
    "X-RateLimit-Remaining": {"$ref": "#/components/headers/X-RateLimit-Remaining"},
}


def _ok(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "headers": _RATE_HEADERS, "content": {JSON: {"schema": schema}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _paged(key: str, item: str) -> dict:
    return {"type": "object", "required": [key, "paging"], "additionalProperties": False,
            "properties": {key: {"type": "array", "items": _ref(item)}, "paging": _ref("Paging")}}


def _operation(summary: str, ok: dict, *, tag: str, body: str | None = None, params: tuple = (),
               extra: tuple[int, ...] = (), description: str = "", public: bool = False, status: int = 200) -> dict:
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {str(status): ok}}
    if description:
        op["description"] = description
    if params:
        op["parameters"] = list(params)
    if body:
        op["requestBody"] = {"required": True, "content": {JSON: {"schema": _ref(body)}}}
    statuses = (405, 503) if public else (401, 403, 405, 429, 503, *extra)
    if body:
        statuses = (*statuses, 400, 413, 415)
    if any(p["$ref"].rsplit("/", 1)[1] in _QUERY_PARAMETERS for p in params):
        statuses = (*statuses, 400)
    for status in sorted(set(statuses)):
        op["responses"][str(status)] = {"$ref": f"#/components/responses/E{status}"}
    op["security"] = [] if public else _SECURITY
    return op


_QUERY_PARAMETERS = {"page", "page_size", "order_field", "order_direction", "network_offer_id", "pixel_status",
                     "pixel_type", "delivery_method", "search", "filter", "failed"}


def _param(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def _download(name: str, row: dict) -> dict:
    content = {CONTENT_TYPES[fmt].split(";")[0]: {"schema": {"type": "string"}} for fmt in EXPORT_FORMATS}
    content[JSON] = {"schema": {"type": "array", "items": row}}
    return {"description": "A file download: every matching row (no paging); CSV, JSON or NDJSON", "headers": {
        **_RATE_HEADERS, "Content-Disposition": {"schema": {"type": "string"}, "required": True,
                                                 "description": f'attachment; filename="{name}_<from>_<to>.<format>"'}},
            "content": content}


def paths() -> dict[str, dict]:
    paging = (_param("page"), _param("page_size"))
    order = (_param("order_field"), _param("order_direction"))
    found = {
        "/v1/affiliates/affiliate": {"get": _operation("Your account", _ok(_ref("Account")), tag="Account")},
        "/v1/affiliates/network": {"get": _operation("The network's name, logo and timezone", _ok(_ref("Network")),
                                                     tag="Account")},
        "/v1/meta/timezones": {"get": _operation("Timezone ids for timezone_id", _ok(_ref("TimezoneList")),
                                                 tag="Account")},
        OPENAPI_PATH: {"get": _operation(
            "This document", _ok({"type": "object"}), tag="Account", public=True,
            description="Public: no key needed and no request budget spent (it holds no partner data).")},
        "/v1/affiliates/reporting/entity/table": {"post": _operation(
            "Aggregated report", _ok(_ref("Report")), tag="Reporting", body="ReportRequest",
            description=f"At most {criteria.MAX_REPORT_ROWS:,} rows (then incomplete_results is true), "
                        "plus a summary over all rows.")},
        "/v1/affiliates/reporting/entity/table/export": {"post": _operation(
            "Aggregated report as a file", _download("report", export_row(REPORT_METRIC_COLUMNS, False)),
            tag="Reporting", body="ReportExportRequest")},
        "/v1/affiliates/reporting/conversions": {"post": _operation(
            "Conversions and events, paged", _ok(_paged("conversions", "Conversion")), tag="Reporting",
            body="ConversionsRequest", params=paging + order)},
        "/v1/affiliates/reporting/conversions/export": {"post": _operation(
            "Every matching conversion as a file", _download("conversions", export_row(CONVERSION_COLUMNS, True)),
            tag="Reporting",
            body="ConversionsExportRequest", params=order)},
        "/v1/affiliates/reporting/conversions/{conversion_id}": {"get": _operation(
            "One conversion", _ok(_ref("Conversion")), tag="Reporting", params=(_param("conversion_id"),),
            extra=(404,))},
        "/v1/affiliates/reporting/onhold": {"post": _operation(
            "On-hold conversions, paged", _ok(_paged("conversions", "OnHoldConversion")), tag="Reporting",
            body="OnHoldRequest", params=paging + order)},
        "/v1/affiliates/reporting/clicks/stream": {"post": _operation(
            "Raw clicks", _ok({"type": "object", "required": ["clicks", "table", "incomplete_results"],
                               "additionalProperties": False, "properties": {
                                   "clicks": {"type": "array", "items": _ref("Click")},
                                   "table": {"type": "array", "items": _ref("Click")},
                                   "incomplete_results": {"type": "boolean"}}}),
            tag="Reporting", body="ClicksRequest",
            description=f"At most {criteria.MAX_CLICK_DAYS} days and {criteria.MAX_CLICK_ROWS:,} clicks; the rows "
                        "are under both `clicks` and `table`.")},
        "/v1/affiliates/reporting/clicks/{transaction_id}": {"get": _operation(
            "One click", _ok(_ref("Click")), tag="Reporting", params=(_param("transaction_id"),), extra=(404,))},
        "/v1/affiliates/dashboard/summary": {"post": _operation(
            "Today, yesterday, this month and last month", _ok(_ref("DashboardSummary")), tag="Reporting",
            body="DashboardRequest")},
    }
    found.update(_pixel_paths(paging))
    for item in found.values():  # the body is optional on the dashboard only (it has a default timezone)
        for op in item.values():
            if op.get("requestBody", {}).get("content", {}).get(JSON, {}).get("schema") == _ref("DashboardRequest"):
                op["requestBody"]["required"] = False
    return found


def _pixel_paths(paging: tuple) -> dict[str, dict]:
    pixel_id = (_param("pixel_id"),)
    filters = tuple(_param(name) for name in pixels.LIST_FILTERS)
    return {
        "/v1/affiliates/pixels": {
            "get": _operation("Your postbacks, paged", _ok(_paged("pixels", "Pixel")), tag="Postbacks",
                              params=paging + filters + (_param("search"), _param("filter"))),
            "post": _operation("Add a postback", _ok(_ref("Pixel"), "Created"), tag="Postbacks",
                               body="PixelRequest", status=201),
        },
        "/v1/affiliates/pixels/{pixel_id}": {
            "get": _operation("One postback", _ok(_ref("Pixel")), tag="Postbacks", params=pixel_id, extra=(404,)),
            "put": _operation("Replace a postback", _ok(_ref("Pixel")), tag="Postbacks", params=pixel_id,
                              body="PixelRequest", extra=(404,)),
            "delete": _operation("Delete a postback", _ok({"type": "object", "required": ["result"],
                                                           "properties": {"result": {"const": True}}}),
                                 tag="Postbacks", params=pixel_id, extra=(404,)),
        },
        "/v1/affiliates/pixels/{pixel_id}/test": {"post": _operation(
            "(ext) Send once with sample values", _ok(_ref("Attempt")), tag="Postbacks", params=pixel_id,
            extra=(400, 404, 409))},
        "/v1/affiliates/pixels/{pixel_id}/deliveries": {"get": _operation(
            "(ext) The delivery log, newest first", _ok(_paged("deliveries", "Delivery")), tag="Postbacks",
            params=pixel_id + paging + (_param("failed"),), extra=(400, 404))},
        "/v1/affiliates/pixels/{pixel_id}/deliveries/{delivery_id}/retry": {"post": _operation(
            "(ext) Try a failed or dead delivery again now", _ok(_ref("Attempt")), tag="Postbacks",
            params=pixel_id + (_param("delivery_id"),), extra=(400, 404, 409))},
    }


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
        headers = dict(_RATE_HEADERS)
        if status in (429, 503):
            headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
        responses[f"E{status}"] = {"description": text, "headers": headers,
                                   "content": {JSON: {"schema": _ref("Error")}}}
    paging = {"type": "object", "required": ["page", "page_size", "total_count"], "additionalProperties": False,
              "properties": {"page": {"type": "integer", "minimum": 1},
                             "page_size": {"type": "integer", "minimum": 1, "maximum": criteria.MAX_PAGE_SIZE},
                             "total_count": {"type": "integer", "minimum": 0}}}
    return {
        "schemas": {"Error": error, "Paging": paging, "DashboardSummary": dashboard_schema(),
                    **response_schemas(), **request_schemas()},
        "responses": responses,
        "parameters": _parameters(),
        "headers": {
            "X-RateLimit-Limit": {"description": "Requests the network-wide window allows", "required": True,
                                  "schema": {"type": "integer"}},
            "X-RateLimit-Remaining": {"description": "Requests left in the window (shared by every partner)",
                                      "required": True, "schema": {"type": "integer"}},
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



def build(base_url: str, network_name: str = "Partner Network") -> dict[str, Any]:
    """The whole document for a network served at `base_url` (its scheme and host, no trailing slash)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{network_name} Affiliate API",
            "version": "1",
            "description": (
                "The partner-facing API, compatible with the Everflow Affiliate API. Send your key in the "
                f"`{KEY_HEADERS[0]}` header. One request budget is shared by the whole network: every response "
                "carries X-RateLimit-Limit and X-RateLimit-Remaining; a 429 carries Retry-After. Every error is "
                "`{\"error\": \"...\"}`. Guide: /docs"),
        },
        "servers": [{"url": base_url.rstrip("/") or "/"}],
        "security": _SECURITY,
        "tags": [{"name": "Account"}, {"name": "Reporting"}, {"name": "Postbacks", "description":
                  "Postbacks (\"pixels\" in this API). Macros in postback_url: "
                  + ", ".join(f"{{{name}}} ({text})" for name, text in macro_table())}],
        "paths": paths(),
        "components": _components(),
    }


@lru_cache(maxsize=8)
def cached(base_url: str, network_name: str) -> dict[str, Any]:
    """Built once per base URL and name: the document only changes when the code does."""
    return build(base_url, network_name)



@bp.get("/affiliates/openapi.json")
@public
def openapi_document():
    """(ext) This description: public (it holds no partner data) and free of the request budget."""
    response = jsonify(cached(public_base_url(), network_settings().network_name))
    # Shared caches may keep it only when its server URL is the configured one, not the request's Host
    # header (which a client chooses: a cached copy must never send other partners' keys elsewhere).
    configured = bool(current_app.config.get("PUBLIC_BASE_URL"))
    response.headers["Cache-Control"] = "public, max-age=300" if configured else "no-cache"
    return response
