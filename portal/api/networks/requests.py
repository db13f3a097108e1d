"""Reading the Network API's bodies: Everflow's network-only columns and filters (affiliate, advertiser)
split off, the rest read by the partner API's own tables (portal.affiliate.parsing), so dates, timezones,
columns and filters follow the same rules and give the same 400s on both APIs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from portal.affiliate import parsing
from portal.affiliate.fields import ascii_digits, whole_number
from portal.domain.criteria import (MAX_COLUMNS, MAX_FILTER_VALUES, MAX_ID, ClickQuery, ConversionQuery, Filters,
                                    ReportQuery)
from portal.domain.errors import BadRequest

NETWORK_COLUMNS = ("affiliate", "advertiser")
NETWORK_FILTERS = ("affiliate", "advertiser")
_PLACEHOLDER = {"column": "offer"}


@dataclass(frozen=True)
class NetworkReportQuery:
    query: ReportQuery  # the partner-level part (window, columns, filters, test data)
    columns: tuple[str, ...]  # every column, in the order asked
    network_filters: dict[str, tuple[int, ...]]


def body_of(raw) -> dict:
    if not isinstance(raw, Mapping):
        raise BadRequest("body", "must be a JSON object")
    return dict(raw)


def _column_name(item) -> str | None:
    value = item.get("column") if isinstance(item, Mapping) else item
    return value if isinstance(value, str) else None


def _split_filters(body: dict) -> tuple[dict, dict[str, tuple[int, ...]]]:
    """The body without its affiliate and advertiser filters, and those filters' ids."""
    query = body.get("query")
    if not isinstance(query, Mapping) or not isinstance(query.get("filters"), list):
        return body, {}
    kept, network = [], {}
    for item in query["filters"]:
        kind = item.get("resource_type") if isinstance(item, Mapping) else None
        if kind not in NETWORK_FILTERS:
            kept.append(item)
            continue
        value = whole_number(item.get("filter_id_value"))
        text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
        if not (ascii_digits(text) and len(text) <= 10 and 0 < int(text) <= MAX_ID):
            raise BadRequest("filters", f"an {kind} filter's filter_id_value is the {kind} id (a number)")
        ids = network.setdefault(kind, [])
        if int(text) not in ids:
            ids.append(int(text))
        if len(ids) > MAX_FILTER_VALUES:
            raise BadRequest("filters", f"at most {MAX_FILTER_VALUES} values for one resource_type")
    return {**body, "query": {**query, "filters": kept}}, {k: tuple(v) for k, v in network.items()}


def report_query(raw, default_timezone: str) -> NetworkReportQuery:
    body = body_of(raw)
    columns = body.get("columns")
    if not isinstance(columns, list) or not columns:
        raise BadRequest("columns", "must be a non-empty list of {\"column\": name} objects")
    if len(columns) > MAX_COLUMNS:
        raise BadRequest("columns", f"at most {MAX_COLUMNS} columns")
    names = [_column_name(c) for c in columns]
    network = [n for n in names if n in NETWORK_COLUMNS]
    if len(set(network)) != len(network):
        raise BadRequest("columns", "a column is given twice")
    rest = [c for c, n in zip(columns, names) if n not in NETWORK_COLUMNS]
    body, network_filters = _split_filters(body)
    query = parsing.report_query({**body, "columns": rest or [_PLACEHOLDER]}, default_timezone)
    if not rest:
        query = ReportQuery(window=query.window, columns=(), filters=query.filters, include_test=query.include_test)
    return NetworkReportQuery(query, tuple(names), network_filters)


def with_network_filters(filters: Filters, network: dict[str, tuple[int, ...]]) -> Filters:
    return Filters(by_type=filters.by_type + tuple((k, tuple(str(v) for v in ids)) for k, ids in network.items()))


def conversion_query(raw, default_timezone: str, args) -> ConversionQuery:
    body, network = _split_filters(body_of(raw))
    query = parsing.conversion_query(body, default_timezone, args)
    return replace(query, filters=with_network_filters(query.filters, network))


def click_query(raw, default_timezone: str) -> ClickQuery:
    body, network = _split_filters(body_of(raw))
    query = parsing.click_query(body, default_timezone)
    return ClickQuery(window=query.window, filters=with_network_filters(query.filters, network),
                      include_test=query.include_test)


def positive_id(value, name: str) -> int:
    """An id from a body (a number or a string of digits) that the database could hold."""
    value = whole_number(value)
    text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not (ascii_digits(text) and len(text) <= 10 and 0 < int(text) <= MAX_ID):
        raise BadRequest(name, "must be a positive whole number (an id)")
    return int(text)
