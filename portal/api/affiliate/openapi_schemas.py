"""The JSON Schemas of the Affiliate API's bodies, derived from the code: see portal.api.affiliate.openapi.

Response objects are inferred from what the real serialisers return for sample records built from the
façade's own dataclasses (every optional field set, then none), so a field added to a serialiser is
described the moment it ships; the criteria bodies come from the tables their parser reads
(portal.affiliate.parsing), each field's kind describing what it accepts.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, date, datetime, timedelta
from typing import Any

from portal.affiliate import parsing
from portal.affiliate.postbacks import (MAX_DELAY_MS, MAX_DESCRIPTION, MAX_EVENT_NAME, MAX_HTML_BYTES, MAX_ID,
                                        AttemptView, DeliveryView, PostbackView)
from portal.affiliate.reporting import DASHBOARD_METRICS
from portal.api.affiliate import pixels
from portal.api.affiliate import report_shapes as shapes
from portal.api.affiliate import serialise
from portal.delivery.macros import MACROS, MAX_URL_LENGTH
from portal.domain import criteria, timezones
from portal.domain.accounts import AccountView, NetworkView
from portal.domain.postbacks import DELIVERY_METHODS, POSTBACK_STATUSES, POSTBACK_TYPES
from portal.domain.records import Cell, ClickRecord, ConversionRecord, Metrics, ReportResult, ReportRow

_SAMPLE_TIME = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


# --- schemas inferred from the serialisers ------------------------------------------------------------


def infer(value: Any) -> dict[str, Any]:
    """A JSON Schema for one sample value: objects list every key as required and allow no others."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, dict):
        return {"type": "object", "properties": {k: infer(v) for k, v in value.items()},
                "required": list(value), "additionalProperties": False}
    if isinstance(value, (list, tuple)):
        items = [infer(v) for v in value]
        merged = items[0] if items else {}
        for item in items[1:]:
            merged = merge(merged, item)
        return {"type": "array", "items": merged}
    raise TypeError(f"no JSON type for {type(value).__name__}")


def _types(schema: dict) -> list[str]:
    kind = schema.get("type", [])
    return list(kind) if isinstance(kind, list) else [kind]


def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """One schema that accepts what either sample's schema accepts (a field that may be null, a number
    that is sometimes whole); keys only one object has become optional."""
    if a == b:
        return a
    if "properties" in a and "properties" in b:
        keys = list(dict.fromkeys([*a["properties"], *b["properties"]]))
        props = {k: merge(a["properties"][k], b["properties"][k])
                 if k in a["properties"] and k in b["properties"] else a["properties"].get(k, b["properties"].get(k))
                 for k in keys}
        required = [k for k in a["required"] if k in b["required"]]
        return {**a, "type": sorted(set(_types(a)) | set(_types(b))) if _types(a) != _types(b) else a["type"],
                "properties": props, "required": required}
    if "items" in a and "items" in b:
        return {**a, "items": merge(a["items"], b["items"])}
    kinds = set(_types(a)) | set(_types(b))
    if {"integer", "number"} <= kinds:
        kinds.discard("integer")
    base = a if "properties" in a or "items" in a else b if "properties" in b or "items" in b else {}
    return {**base, "type": sorted(kinds) if len(kinds) > 1 else kinds.pop()}


def _sample(cls: type, filled: bool) -> Any:
    """An instance of a façade dataclass: every optional field set (filled) or None (not filled).

    Built from the dataclass's own field list, so a field added to a record is sampled too."""
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING:
            if not filled:
                continue
        values[field.name] = _value(hints[field.name], filled, field.name)
    return cls(**values)


# Fields whose value the serialiser interprets: (filled, empty) samples that take both of its paths.
_MEANINGFUL = {"timezone": ("UTC", "Australia/Eucla")}  # Eucla: a zone no Everflow id stands for


def _value(hint: Any, filled: bool, name: str) -> Any:
    if name in _MEANINGFUL:
        return _MEANINGFUL[name][0 if filled else 1]
    args = typing.get_args(hint)
    if type(None) in args:
        return _value(next(a for a in args if a is not type(None)), filled, name) if filled else None
    if typing.get_origin(hint) is tuple:
        return (_sample(args[0], filled),) if filled else ()
    if hint is bool:
        return filled
    if hint is int:
        return 1250 if filled else 0
    if hint is float:
        return 1.5 if filled else 0.0
    if hint is str:
        return name
    if hint is datetime:
        return _SAMPLE_TIME
    if dataclasses.is_dataclass(hint):
        return _sample(hint, filled)
    raise TypeError(f"no sample value for {name}: {hint!r}")


def _from_samples(serialise_one) -> dict[str, Any]:
    return merge(infer(serialise_one(True)), infer(serialise_one(False)))


def _metrics(filled: bool) -> Metrics:
    return Metrics(total_click=40, unique_click=32, cv=3, event=1, revenue_cents=4250, on_hold_conversion_count=1,
                   on_hold_potential_revenue_cents=400) if filled else Metrics()


def _report(filled: bool) -> dict:
    rows = [ReportRow(cells=(Cell("offer", "12", "Acme Shoes"),), metrics=_metrics(True))] if filled else []
    return shapes.report(ReportResult(columns=("offer",), rows=rows, summary=_metrics(filled),
                                      incomplete_results=False, currency="USD"))


def response_schemas() -> dict[str, dict[str, Any]]:
    """Every response object, as the serialisers build it."""
    schemas = {
        "Account": _from_samples(lambda f: serialise.account(_sample(AccountView, f))),
        "Network": _from_samples(lambda f: serialise.network(_sample(NetworkView, f))),
        "TimezoneList": infer(serialise.timezone_list()),
        "Report": _from_samples(_report),
        "Conversion": _from_samples(lambda f: shapes.conversion(_sample(ConversionRecord, f))),
        "OnHoldConversion": _from_samples(lambda f: shapes.on_hold(_sample(ConversionRecord, f))),
        "Click": _from_samples(lambda f: shapes.click(_sample(ClickRecord, f))),
        "Pixel": _from_samples(lambda f: pixels.pixel(_sample(PostbackView, f), 1)),
        "Attempt": _from_samples(lambda f: pixels.attempt(_sample(AttemptView, f))),
        "Delivery": _from_samples(lambda f: pixels.delivery(_sample(DeliveryView, f))),
    }
    _refine(schemas)
    return schemas


def _refine(schemas: dict[str, dict]) -> None:
    """What a sample cannot show: the closed sets of values, and where a shape points at another."""
    tz = schemas["TimezoneList"]["properties"]["timezones"]["items"]["properties"]
    tz["timezone_id"]["enum"] = [z.timezone_id for z in timezones.TIMEZONES]
    tz["timezone"]["enum"] = [z.iana for z in timezones.TIMEZONES]
    tz["utc_offset"]["pattern"] = r"^[+-][0-9]{2}:[0-9]{2}$"
    schemas["Conversion"]["properties"]["status"]["enum"] = list(criteria.STATUSES)
    schemas["Conversion"]["properties"]["revenue_type"]["enum"] = ["CPA", "RPS"]
    schemas["OnHoldConversion"]["properties"]["conversion"] = {"$ref": "#/components/schemas/Conversion"}
    schemas["OnHoldConversion"]["properties"]["status"]["enum"] = list(criteria.STATUSES)
    report_row = schemas["Report"]["properties"]["table"]["items"]
    report_row["properties"]["columns"]["items"]["properties"]["column_type"]["enum"] = list(criteria.REPORT_COLUMNS)
    pixel = schemas["Pixel"]["properties"]
    pixel["delivery_method"]["enum"] = list(DELIVERY_METHODS)
    pixel["pixel_status"]["enum"] = list(POSTBACK_STATUSES)
    pixel["pixel_type"]["enum"] = list(POSTBACK_TYPES)
    pixel["pixel_level"]["enum"] = list(pixels.PIXEL_LEVELS)
    schemas["Delivery"]["properties"]["relationship"]["properties"]["attempts"]["items"] = {
        "$ref": "#/components/schemas/Attempt"}


def dashboard_schema() -> dict[str, Any]:
    periods = ("today", "yesterday", "current_month", "last_month", "trending_percentage")
    metric = {"type": "object", "properties": {p: {"type": "number"} for p in periods}, "required": list(periods),
              "additionalProperties": False}
    return {"type": "object", "properties": {m: metric for m in DASHBOARD_METRICS}, "required": list(DASHBOARD_METRICS),
            "additionalProperties": False}


# --- request schemas ---------------------------------------------------------------------------------


def request_schemas() -> dict[str, dict[str, Any]]:
    """Every request body: the criteria bodies from the tables their parser reads (portal.affiliate.parsing)."""
    return {
        "ReportRequest": parsing.REPORT.schema(),
        "ReportExportRequest": {"allOf": [{"$ref": "#/components/schemas/ReportRequest"}, parsing.EXPORT.schema()]},
        "ConversionsRequest": parsing.CONVERSIONS.schema(),
        "ConversionsExportRequest": {"allOf": [{"$ref": "#/components/schemas/ConversionsRequest"},
                                               parsing.EXPORT.schema()]},
        "OnHoldRequest": parsing.ON_HOLD.schema(),
        "ClicksRequest": parsing.CLICKS.schema(),
        "DashboardRequest": parsing.DASHBOARD.schema(),
        "PixelRequest": pixel_request(),
    }


def request_examples(today: date) -> dict[str, dict[str, Any]]:
    """The body each request starts with in the reference's "Try it out": one that returns data as it
    stands — the last 7 days up to `today` (the reports page's default range), no filters — keyed by the
    request body's component name. Dated, so the document is rebuilt each day (openapi.cached)."""
    window = {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}
    by_offer = {**window, "columns": [{"column": "offer"}]}
    return {
        "ReportRequest": by_offer,
        "ReportExportRequest": {**by_offer, "format": "csv"},
        "ConversionsRequest": window,
        "ConversionsExportRequest": {**window, "format": "csv"},
        "OnHoldRequest": window,
        "ClicksRequest": window,
        "DashboardRequest": {},
    }


def pixel_request() -> dict[str, Any]:
    """A postback in the API's names. Its parser (pixels.draft_of, then postback_rules) is shared with the
    portal's postback form and speaks the façade's names, so this one is stated by hand."""
    empty = {"anyOf": [{"type": "null"}, {"type": "string", "pattern": "^[ ]*$"}]}
    text = {"type": "string", "pattern": "\\S"}  # the server strips whitespace: a blank value is missing
    pixel = {"type": "object", "properties": {
        "delivery_method": {"type": "string", "enum": list(DELIVERY_METHODS), "default": "postback"},
        "pixel_level": {"type": "string", "enum": list(pixels.PIXEL_LEVELS),
                        "description": "global: every offer; specific: network_offer_id only"},
        "network_offer_id": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_ID,
                             "description": "An offer you can run (specific), or 0/absent (global)"},
        "pixel_status": {"type": "string", "enum": list(POSTBACK_STATUSES), "default": "active"},
        "pixel_type": {"type": "string", "enum": list(POSTBACK_TYPES), "default": "conversion"},
        "event_name": {"type": ["string", "null"], "maxLength": MAX_EVENT_NAME, "pattern": "^[^\\x00-\\x1f\\x7f]*$",
                       "description": "For pixel_type event"},
        "postback_url": {"type": ["string", "null"], "maxLength": MAX_URL_LENGTH, "description":
                         "http(s) URL, port 80 or 443; macros: " + " ".join("{" + m + "}" for m in MACROS)},
        # The server counts UTF-8 bytes; JSON Schema counts characters (up to 4 bytes each).
        "html_code": {"type": ["string", "null"], "maxLength": MAX_HTML_BYTES // 4,
                      "description": f"For delivery_method html; at most {MAX_HTML_BYTES // 1024} KB of UTF-8"},
        "delay_ms": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_DELAY_MS},
        "description": {"type": ["string", "null"], "maxLength": MAX_DESCRIPTION},
        "send_status_updates": {"type": "boolean"}},
        # The rules between fields that JSON Schema can say; the rest (a URL's host and port, whether you can
        # run the offer) the server checks, answering 400 with the field and the rule.
        "allOf": [
            {"if": {"required": ["delivery_method"], "properties": {"delivery_method": {"const": "html"}}},
             "then": {"required": ["html_code"], "properties": {"html_code": text, "postback_url": empty}},
             "else": {"required": ["postback_url"], "properties": {"postback_url": text, "html_code": empty}}},
            {"if": {"required": ["pixel_level"], "properties": {"pixel_level": {"const": "specific"}}},
             "then": {"required": ["network_offer_id"], "properties": {"network_offer_id": {"minimum": 1}}}},
            {"if": {"required": ["pixel_level"], "properties": {"pixel_level": {"const": "global"}}},
             "then": {"properties": {"network_offer_id": {"enum": [0, None]}}}},
            {"if": {"not": {"required": ["pixel_type"], "properties": {"pixel_type": {"const": "event"}}}},
             "then": {"properties": {"event_name": empty}}},
        ]}
    return pixel
