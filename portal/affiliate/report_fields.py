"""Field kinds for the shape of a report: its columns, its filters and its conversion search terms.

Like every kind in portal.affiliate.fields, each reads a raw value leniently (a column may be a bare name,
a filter value a number or a padded string) and states as JSON Schema what it takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portal.affiliate.fields import Kind, ascii_digits, whole_number
from portal.domain.criteria import (FILTER_TYPES, MAX_COLUMNS, MAX_FILTER_VALUES, MAX_ID, REPORT_COLUMNS, SEARCH_FIELDS,
                                    STATUSES, TIME_COLUMNS, Filters)
from portal.domain.errors import BadRequest
from portal.domain.text import text_fault

MAX_FILTER_LENGTH = 500
MAX_SEARCH_LENGTH = 200


@dataclass(frozen=True)
class Columns(Kind):
    """1 to MAX_COLUMNS distinct report columns, at most one of them a time column, as [{"column": name}]
    (a bare name is taken too); read as a tuple of names."""

    required_rule = f"is required: a list of 1 to {MAX_COLUMNS} {{\"column\": name}} objects"

    def parse(self, raw, name) -> tuple[str, ...]:
        if not isinstance(raw, list) or not raw:
            raise BadRequest(name, "must be a non-empty list of {\"column\": name} objects")
        if len(raw) > MAX_COLUMNS:
            raise BadRequest(name, f"at most {MAX_COLUMNS} columns")
        names = []
        for item in raw:
            column = item.get("column") if isinstance(item, Mapping) else item if isinstance(item, str) else None
            if not isinstance(column, str):
                raise BadRequest(name, "each entry must be {\"column\": name}")
            if column not in REPORT_COLUMNS:
                raise BadRequest(name, f"unknown column {column!r}; known: {', '.join(REPORT_COLUMNS)}")
            if column in names:
                raise BadRequest(name, f"column {column!r} is given twice")
            names.append(column)
        if sum(column in TIME_COLUMNS for column in names) > 1:
            raise BadRequest(name, f"at most one time column ({', '.join(TIME_COLUMNS)})")
        return tuple(names)

    def schema(self):
        return {"type": "array", "minItems": 1, "maxItems": MAX_COLUMNS, "uniqueItems": True,
                "description": f"At most one time column ({', '.join(TIME_COLUMNS)})",
                "contains": {"properties": {"column": {"enum": list(TIME_COLUMNS)}}},
                "minContains": 0, "maxContains": 1,
                "items": {"type": "object", "required": ["column"],
                          "properties": {"column": {"type": "string", "enum": list(REPORT_COLUMNS)}}}}


@dataclass(frozen=True)
class FilterList(Kind):
    """[{"resource_type", "filter_id_value"}]: the same type twice is OR, different types are AND; a value
    is a non-empty string or a number (an offer's id, or a status); read as Filters (values deduplicated)."""

    def parse(self, raw, name) -> Filters:
        if not isinstance(raw, list):
            raise BadRequest(name, "must be a list of {resource_type, filter_id_value} objects")
        grouped: dict[str, list[str]] = {}
        for item in raw:
            if not isinstance(item, Mapping):
                raise BadRequest(name, "each filter must be {\"resource_type\", \"filter_id_value\"}")
            kind, value = item.get("resource_type"), whole_number(item.get("filter_id_value"))
            if kind not in FILTER_TYPES:
                raise BadRequest(name, f"unknown resource_type {kind!r}; known: {', '.join(FILTER_TYPES)}")
            if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value).strip() == "":
                raise BadRequest(name, f"filter_id_value for {kind} must be a non-empty string or number")
            text = str(value).strip()
            if len(text) > MAX_FILTER_LENGTH:
                raise BadRequest(name, f"filter_id_value for {kind} is longer than {MAX_FILTER_LENGTH} characters")
            if kind == "offer" and not (ascii_digits(text) and int(text) <= MAX_ID):
                raise BadRequest(name, "an offer filter's filter_id_value is the offer id (a number)")
            fault = text_fault(text)
            if fault:
                raise BadRequest(name, f"filter_id_value for {kind} {fault}")
            if kind == "status" and text not in STATUSES:
                raise BadRequest(name, f"status must be one of {', '.join(STATUSES)}")
            values = grouped.setdefault(kind, [])
            if text not in values:
                values.append(text)
            if len(values) > MAX_FILTER_VALUES:
                raise BadRequest(name, f"at most {MAX_FILTER_VALUES} values per resource_type")
        return Filters(tuple((kind, tuple(values)) for kind, values in grouped.items()))

    def schema(self):
        return {"type": ["array", "null"], "maxItems": MAX_FILTER_VALUES * len(FILTER_TYPES),
                "description": "The same resource_type twice is OR; different types are AND",
                "items": {"anyOf": [self.item_schema(kind) for kind in FILTER_TYPES]}}

    @staticmethod
    def item_schema(kind: str) -> dict[str, Any]:
        """One filter: what `parse` takes as filter_id_value for this resource_type."""
        if kind == "offer":
            value = {"anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_ID},
                               {"type": "string", "pattern": "^ *[0-9]+ *$", "maxLength": MAX_FILTER_LENGTH}]}
        elif kind == "status":
            value = {"type": "string", "enum": list(STATUSES)}
        else:
            value = {"anyOf": [{"type": "integer"}, {"type": "string", "minLength": 1, "maxLength": MAX_FILTER_LENGTH,
                                                     "pattern": r"[^ \t\r\n]"}]}
        return {"type": "object", "required": ["resource_type", "filter_id_value"],
                "properties": {"resource_type": {"const": kind}, "filter_id_value": value}}


@dataclass(frozen=True)
class SearchTerms(Kind):
    """[{"search_type", "value"}]: a case-insensitive substring of one conversion field; read as
    ((field, stripped value), …)."""

    def parse(self, raw, name) -> tuple[tuple[str, str], ...]:
        if not isinstance(raw, list):
            raise BadRequest(name, "must be a list of {search_type, value} objects")
        terms = []
        for item in raw:
            if not isinstance(item, Mapping):
                raise BadRequest(name, "each term must be {\"search_type\", \"value\"}")
            kind, value = item.get("search_type"), item.get("value")
            if kind not in SEARCH_FIELDS:
                raise BadRequest(name, f"unknown search_type {kind!r}; known: {', '.join(SEARCH_FIELDS)}")
            if not isinstance(value, str) or not value.strip() or len(value) > MAX_SEARCH_LENGTH:
                raise BadRequest(name, f"value must be a non-empty string of at most {MAX_SEARCH_LENGTH} characters")
            fault = text_fault(value)
            if fault:
                raise BadRequest(name, f"value {fault}")
            terms.append((kind, value.strip()))
        return tuple(terms)

    def schema(self):
        return {"type": ["array", "null"], "items": {
            "type": "object", "required": ["search_type", "value"], "properties": {
                "search_type": {"type": "string", "enum": list(SEARCH_FIELDS)},
                "value": {"type": "string", "minLength": 1, "maxLength": MAX_SEARCH_LENGTH, "pattern": r"\S"}}}}
