"""The Everflow-style Network API's OpenAPI 3.1 description (`GET /v1/networks/openapi.json`), public.

Paths come from the routes as declared (portal.api.networks.blueprint.OPERATIONS), so the document and the
URL map cannot drift; the schemas below name Everflow's fields. tests/api/networks checks both directions
and fuzzes the running API against the document with schemathesis.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import jsonify

from portal.api.networks.blueprint import OPERATIONS, route
from portal.domain import timezones
from portal.domain.criteria import MAX_COLUMNS, MAX_PAGE_SIZE
from portal.exports.network_conversions import ENTITY_COLUMNS, MAX_EXPORT_COLUMNS, NETWORK_CONVERSION_COLUMNS
from portal.http.contract import AUTH_THROTTLED, INVALID_KEY, NO_KEY, OUT_OF_REALM, RATE_LIMITED
from portal.http.downloads import CONTENT_TYPES

REF = "#/components/schemas/"
_INT = {"type": "integer"}
_NUM = {"type": "number"}
_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_TIMEZONE_ID = {"type": "integer", "enum": [z.timezone_id for z in timezones.TIMEZONES],
                "description": "Everflow's timezone id (GET /v1/meta/timezones)"}


def _obj(required: tuple[str, ...] = (), **properties) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": properties}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


_FILTERS = {"type": "array", "items": _obj(("resource_type", "filter_id_value"), resource_type=_STR,
                                           filter_id_value={"type": ["string", "integer"]})}
_WINDOW = {"from": {**_STR, "example": "2026-11-01"}, "to": {**_STR, "example": "2026-11-30"},
           "timezone_id": _TIMEZONE_ID, "currency_id": _STR, "include_test_data": _BOOL}
_METRICS = _obj(("payout", "revenue", "profit", "margin", "total_click", "cv"), **{
    name: _INT for name in ("imp", "total_click", "unique_click", "invalid_click", "duplicate_click", "gross_click",
                            "cv", "invalid_cv_scrub", "view_through_cv", "total_cv", "event",
                            "on_hold_conversion_count")}, **{
    name: _NUM for name in ("ctr", "cvr", "evr", "cpc", "cpm", "cpa", "rpc", "rpm", "rpa", "payout", "revenue",
                            "profit", "margin", "on_hold_potential_payout")})
_IDS = {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
_PIXEL_FILTERS = _obj(network_affiliate_ids=_IDS, network_offer_ids=_IDS, network_affiliate_id=_INT,
                      network_offer_id=_INT, offer_status={"enum": ["active", "inactive"]},
                      pixel_status={"enum": ["active", "inactive"]},
                      pixel_type={"enum": ["conversion", "event", "post_conversion", "cpc"]},
                      delivery_method={"enum": ["postback", "html"]})
_PIXEL_SEARCH = {"type": "array", "items": _obj(("search_type", "value"), search_type={
    "enum": ["pixel_id", "description", "payload"]}, value=_STR)}
_PAGING = _obj(("page", "page_size", "total_count"), page=_INT, page_size=_INT, total_count=_INT)
_NULLABLE_OBJ = {"type": ["object", "null"]}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _obj(("error",), error=_STR),
    "Result": _obj(("result",), result=_BOOL),
    "Network": _obj(("network_id", "name"), network_id=_INT, name=_STR, status=_STR, default_currency_id=_STR,
                    reporting_timezone_id={
                        "type": ["integer", "null"], "description": "Everflow's id of the network's timezone, or of a "
                        "zone with the same clock; null when none of Everflow's zones keeps it"}),
    "EntityReportRequest": _obj(("from", "to", "columns"), **_WINDOW, columns={
        "type": "array", "minItems": 1, "maxItems": MAX_COLUMNS,
        "items": _obj(("column",), column={"type": "string", "enum": [
            "affiliate", "advertiser", "offer", "country", "sub1", "sub2", "sub3", "sub4", "sub5", "source_id",
            "event_name", "device_type", "browser", "platform", "coupon_code", "hour", "date", "week", "month",
            "year"]})}, query=_obj(filters=_FILTERS)),
    "EntityReport": _obj(("table", "summary", "incomplete_results"), table={"type": "array", "items": _obj(
        ("columns", "reporting"), columns={"type": "array", "items": _obj(("column_type", "id", "label"),
                                                                           column_type=_STR, id=_STR, label=_STR)},
        reporting=_METRICS)}, summary=_METRICS, incomplete_results=_BOOL),
    "ConversionSearchRequest": _obj(("from", "to"), **_WINDOW, show_conversions=_BOOL, show_events=_BOOL,
                                    query=_obj(filters=_FILTERS, search_terms={"type": "array", "items": _obj(
                                        search_type=_STR, value=_STR)})),
    "Conversion": _obj(("conversion_id", "network_affiliate_id", "network_offer_id", "payout", "revenue", "status"),
                       conversion_id=_STR, network_id=_INT, network_affiliate_id=_INT, network_offer_id=_INT,
                       network_advertiser_id=_INT, transaction_id=_STR, conversion_unix_timestamp=_INT,
                       status=_STR, payout=_NUM, revenue=_NUM, sale_amount=_NUM, currency_id=_STR,
                       is_event=_BOOL, event=_STR, relationship={"type": "object"}),
    "ConversionPage": _obj(("conversions", "paging"), conversions={"type": "array", "items": _ref("Conversion")},
                           paging=_PAGING),
    "ConversionExportRequest": _obj(("from", "to", "format"), **_WINDOW, show_conversions=_BOOL, show_events=_BOOL,
                                    format={"enum": ["csv", "json", "ndjson", "jsonl", "arrow"]}, columns={
                                        "type": "array", "minItems": 1, "maxItems": MAX_EXPORT_COLUMNS,
                                        "items": {"enum": [*NETWORK_CONVERSION_COLUMNS, *ENTITY_COLUMNS]}},
                                    query=_obj(filters=_FILTERS, search_terms={"type": "array", "items": _obj(
                                        search_type=_STR, value=_STR)})),
    "ConversionExportRow": {"type": "object", "additionalProperties": False, "properties": {
        name: {"type": {"string": "string", "int64": "integer", "float64": "number", "bool": "boolean",
                        "Int64": ["integer", "null"]}[dtype]} for name, dtype in NETWORK_CONVERSION_COLUMNS.items()}},
    "ClickStreamRequest": _obj(("from", "to"), **_WINDOW, query=_obj(filters=_FILTERS)),
    "Click": _obj(("transaction_id", "network_affiliate_id", "network_offer_id"), transaction_id=_STR,
                  network_id=_INT, network_affiliate_id=_INT, network_offer_id=_INT, unix_timestamp=_INT,
                  is_unique=_INT, payout=_NUM, has_conversion=_BOOL, relationship={"type": "object"}),
    "ClickStream": _obj(("clicks", "incomplete_results"), clicks={"type": "array", "items": _ref("Click")},
                        incomplete_results=_BOOL),
    "TableRequest": _obj(filters={"type": ["object", "null"]}, search_terms={"type": "array", "maxItems": 1, "items": _obj(
        ("value",), search_type={"enum": ["name"]}, value=_STR)}, paging=_obj(
        page={"type": "integer", "minimum": 1}, page_size={"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE})),
    "Affiliate": _obj(("network_affiliate_id", "name", "account_status"), network_affiliate_id=_INT, network_id=_INT,
                      name=_STR, account_status=_STR, network_employee_id=_INT, default_currency_id=_STR,
                      time_created=_INT, time_saved=_INT, relationship={"type": "object"}),
    "AffiliatePage": _obj(("affiliates", "paging"), affiliates={"type": "array", "items": _ref("Affiliate")},
                          paging=_PAGING),
    "Offer": _obj(("network_offer_id", "name", "offer_status"), network_offer_id=_INT, network_id=_INT,
                  network_advertiser_id=_INT, name=_STR, offer_status=_STR, currency_id=_STR,
                  relationship=_obj(advertiser=_NULLABLE_OBJ, payout_revenue={"type": "object"})),
    "OfferPage": _obj(("offers", "paging"), offers={"type": "array", "items": _ref("Offer")}, paging=_PAGING),
    "TrackingLinkRequest": _obj(("network_affiliate_id", "network_offer_id"), network_affiliate_id=_INT,
                                network_offer_id=_INT, network_offer_url_id=_INT, creative_id=_INT,
                                sub1=_STR, sub2=_STR, sub3=_STR, sub4=_STR, sub5=_STR, source_id=_STR),
    "TrackingLink": _obj(("url",), url=_STR),
    "PixelRequest": _obj(("network_affiliate_id",), network_affiliate_id=_INT, network_offer_id=_INT,
                         delivery_method={"enum": ["postback", "html"]}, pixel_level={"enum": ["global", "specific"]},
                         pixel_status={"enum": ["active", "inactive"]}, pixel_type={"enum": ["conversion", "event"]},
                         postback_url=_STR, html_code=_STR, delay_ms=_INT, description=_STR, event_name=_STR),
    "PixelSearchRequest": _obj(filters=_PIXEL_FILTERS, search_terms=_PIXEL_SEARCH,
                               query=_obj(filters=_PIXEL_FILTERS, search_terms=_PIXEL_SEARCH)),
    "Pixel": _obj(("network_pixel_id", "network_affiliate_id", "pixel_level"), network_pixel_id=_INT,
                  network_id=_INT, network_affiliate_id=_INT, network_offer_id=_INT, delivery_method=_STR,
                  pixel_level=_STR, pixel_status=_STR, pixel_type=_STR, postback_url=_STR,
                  relationship={"type": "object"}),
    "PixelPage": _obj(("pixels", "paging"), pixels={"type": "array", "items": _ref("Pixel")}, paging=_PAGING),
}
_ERRORS = {
    400: "Bad input: the message names the field and the rule it broke (`<field>: <rule>`)",
    401: f"`{NO_KEY}`, or `{INVALID_KEY}` (unknown, malformed or revoked key)",
    403: f"`{OUT_OF_REALM}`: a partner's Affiliate API key (or another API's credentials) was sent",
    404: "No such object",
    405: "Method not allowed (also a path id past the database's range, which names no route)",
    415: "The body is not JSON",
    429: f"`{RATE_LIMITED}` (the network's shared budget is spent), or `{AUTH_THROTTLED}`: wait `Retry-After`",
}
_QUERY = {"page": {"type": "integer", "minimum": 1}, "page_size": {"type": "integer", "minimum": 1,
                                                                    "maximum": MAX_PAGE_SIZE},
          "order_field": _STR, "order_direction": {"enum": ["asc", "desc"]},
          "filter": {**_STR, "description": "Everflow's basic filter: <field>=<value> (> or < for times)"}}


def _response(description: str, schema) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _download() -> dict[str, Any]:
    """A file download (no paging): CSV, a JSON array of rows, or NDJSON and Arrow (this API's extensions)."""
    content: dict[str, Any] = {CONTENT_TYPES[fmt].split(";")[0]: {"schema": _STR} for fmt in ("csv", "ndjson")}
    content[CONTENT_TYPES["arrow"]] = {"schema": {"type": "string", "format": "binary"}}
    content["application/json"] = {"schema": {"type": "array", "items": _ref("ConversionExportRow")}}
    return {"description": "A file download of every matching row, from one snapshot of the database; a "
                           "download that breaks off before its end is incomplete", "content": content,
            "headers": {"Content-Disposition": {"schema": _STR, "required": True,
                                                "description": 'attachment; filename="conversions_<from>_<to>.<format>"'},
                        "X-Row-Count": {"schema": _INT, "required": True,
                                        "description": "The rows the file holds (this API's extension)"}}}


def _operation(op) -> dict[str, Any]:
    if op.ok == "download":
        responses = {str(op.status): _download()}
    else:
        responses = {str(op.status): _response("OK", _ref(op.ok) if isinstance(op.ok, str) else op.ok)}
    for status in (*op.extra, 401, 403, 405, 429):
        responses[str(status)] = _response(_ERRORS.get(status, ""), _ref("Error"))
    body: dict[str, Any] = {"summary": op.summary, "tags": [op.tag], "operationId": f"{op.method.lower()}_{op.path}",
                            "responses": responses}
    if op.description:
        body["description"] = op.description
    params = [{"name": name, "in": "query", "required": False, "schema": _QUERY[name]} for name in op.query]
    params += [{"name": part[1:-1], "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1} if part.endswith("_id}")
                and part[1:-1] in ("affiliate_id", "offer_id", "pixel_id", "setting_id") else _STR}
               for part in op.path.split("/") if part.startswith("{")]
    if params:
        body["parameters"] = params
    if op.body:
        body["requestBody"] = {"required": op.method != "POST" or not op.body.endswith(("TableRequest",
                                                                                          "SearchRequest")),
                               "content": {"application/json": {"schema": _ref(op.body)}}}
        if op.body in ("TableRequest", "PixelSearchRequest"):
            body["requestBody"]["required"] = False
        responses.setdefault("415", _response(_ERRORS[415], _ref("Error")))
    return body


@cache
def document() -> dict[str, Any]:
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        if op.path.endswith("/openapi.json"):
            continue
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Everflow-style Network API", "version": "1.0.0",
                 "description": "The network's own API over this portal's data, following Everflow's network API "
                                "(paths, bodies, field names). Send a network key in `X-Eflow-API-Key`."},
        "servers": [{"url": "/"}],
        "security": [{"eflowKey": []}],
        "paths": paths,
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "eflowKey": {"type": "apiKey", "in": "header", "name": "X-Eflow-API-Key"}}},
    }


@route("GET", "/openapi.json", "This document", "Meta", ok={"type": "object"}, public=True)
def openapi_document():
    return jsonify(document())
