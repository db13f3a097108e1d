"""Parsers for what a partner may ask for: report, conversion and click criteria read from a request body.

The API passes its JSON body here as it came; the portal pages build the same shape from their query
string. Either way a bad value raises `BadRequest` naming the field and the rule it broke, before any
query runs. The criteria types and the policy limits live in portal.domain.criteria.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal.domain import timezones
from portal.domain.criteria import (DEFAULT_PAGE_SIZE, FILTER_TYPES, MAX_CLICK_DAYS, MAX_COLUMNS, MAX_FILTER_VALUES,
                                    MAX_PAGE_SIZE, MAX_REPORT_DAYS, ON_HOLD_STATUS_FILTERS, ORDER_FIELDS,
                                    REPORT_COLUMNS, SEARCH_FIELDS, STATUSES, TIME_COLUMNS, ClickQuery, ConversionQuery,
                                    Filters, Page, ReportQuery, Window)
from portal.domain.errors import BadRequest


def report_query(body: Mapping, default_timezone: str) -> ReportQuery:
    body = _mapping(body, "body")
    window = parse_window(body, default_timezone, MAX_REPORT_DAYS)
    _currency(body)
    return ReportQuery(window=window, columns=_columns(body.get("columns")), filters=_filters(body),
                       include_test=_boolean(body, "include_test_data", False))


def conversion_query(body: Mapping, default_timezone: str, args: Mapping | None = None, *,
                     on_hold: bool = False) -> ConversionQuery:
    body = _mapping(body, "body")
    args = args or {}
    window = parse_window(body, default_timezone, MAX_REPORT_DAYS)
    order_field = str(args.get("order_field") or body.get("order_field") or "conversion_unix_timestamp")
    if order_field not in ORDER_FIELDS:
        raise BadRequest("order_field", f"must be one of {', '.join(ORDER_FIELDS)}")
    direction = str(args.get("order_direction") or body.get("order_direction") or "desc").lower()
    if direction not in ("asc", "desc"):
        raise BadRequest("order_direction", "must be asc or desc")
    on_hold_status = None
    if on_hold:
        on_hold_status = body.get("on_hold_status_filter", "")
        if on_hold_status is None:
            on_hold_status = ""
        if on_hold_status not in ON_HOLD_STATUS_FILTERS:
            raise BadRequest("on_hold_status_filter", "must be on_hold, approved, rejected or empty")
    show_conversions = _boolean(body, "show_conversions", True)
    show_events = _boolean(body, "show_events", True)
    if not (show_conversions or show_events):
        raise BadRequest("show_conversions", "show_conversions or show_events must be true")
    return ConversionQuery(window=window, filters=_filters(body), search_terms=_search_terms(body),
                           show_conversions=show_conversions, show_events=show_events,
                           include_test=_boolean(body, "include_test_data", False),
                           on_hold_status=on_hold_status, order_field=order_field, descending=direction == "desc")


def click_query(body: Mapping, default_timezone: str) -> ClickQuery:
    body = _mapping(body, "body")
    window = parse_window(body, default_timezone, MAX_CLICK_DAYS)
    return ClickQuery(window=window, filters=_filters(body), include_test=_boolean(body, "include_test_data", False))


def page_of(args: Mapping) -> Page:
    """?page=&page_size= from the query string (also on POST endpoints, as Everflow does)."""
    page = _positive_int(args.get("page"), "page", 1)
    size = _positive_int(args.get("page_size"), "page_size", DEFAULT_PAGE_SIZE)
    if size > MAX_PAGE_SIZE:
        raise BadRequest("page_size", f"must be at most {MAX_PAGE_SIZE}")
    return Page(page, size)


def timezone_name(body: Mapping, default: str) -> str:
    """timezone_id (Everflow's ids, GET /v1/meta/timezones) or, as our extension, an IANA `timezone`."""
    raw_id = whole_number(body.get("timezone_id"))
    if raw_id is not None and raw_id != "":
        if isinstance(raw_id, bool) or not isinstance(raw_id, (int, str)) or not str(raw_id).strip().isdigit():
            raise BadRequest("timezone_id", "must be a whole number from GET /v1/meta/timezones")
        zone = timezones.by_id(int(raw_id))
        if zone is None:
            raise BadRequest("timezone_id", "unknown id; GET /v1/meta/timezones lists them")
        return zone.iana
    name = body.get("timezone")
    if name is not None and name != "":
        if not isinstance(name, str) or timezones.by_iana(name) is None:
            raise BadRequest("timezone", "unknown timezone; GET /v1/meta/timezones lists the accepted names")
        return name
    return default


def parse_window(body: Mapping, default_timezone: str, max_days: int) -> Window:
    tz_name = timezone_name(body, default_timezone)
    tz = ZoneInfo(tz_name)
    start_local, _ = _moment(body.get("from"), "from", tz)
    to_local, whole_day = _moment(body.get("to"), "to", tz)
    end_local = (datetime.combine(to_local.date() + timedelta(days=1), time.min, tz) if whole_day
                 else to_local + timedelta(seconds=1))  # `to` is inclusive
    start, end = start_local.astimezone(UTC), end_local.astimezone(UTC)
    if start >= end:
        raise BadRequest("from", "must not be after to")
    if end - start > timedelta(days=max_days, hours=1):  # an hour of slack for a DST change inside the range
        span = "one year" if max_days == MAX_REPORT_DAYS else f"{max_days} days"
        raise BadRequest("to", f"the range from `from` to `to` may span at most {span}")
    last = (end_local - timedelta(microseconds=1)).astimezone(tz).date()
    return Window(start=start, end=end, timezone=tz_name, first_day=start_local.date(), last_day=last)



def _moment(raw, name: str, tz: ZoneInfo) -> tuple[datetime, bool]:
    if raw is None or raw == "":
        raise BadRequest(name, "is required (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)")
    if not isinstance(raw, str):
        raise BadRequest(name, "must be a string, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS")
    text = raw.strip()
    for fmt, whole_day in (("%Y-%m-%d", True), ("%Y-%m-%d %H:%M:%S", False), ("%Y-%m-%dT%H:%M:%S", False)):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if parsed.year < 2000 or parsed.year > 2100:
            raise BadRequest(name, "must be a date between 2000 and 2100")
        return parsed.replace(tzinfo=tz), whole_day
    raise BadRequest(name, "must be a date, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS")


def whole_number(value):
    """A JSON number with nothing after the point (12.0) is the whole number it equals: JSON does not tell
    12 from 12.0, and neither do schema validators; other values are returned as they are."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _mapping(value, name: str) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadRequest(name, "must be a JSON object")
    return value


def _boolean(body: Mapping, name: str, default: bool) -> bool:
    value = body.get(name, default)
    if isinstance(value, bool):
        return value
    if value in ("true", "1", 1):
        return True
    if value in ("false", "0", 0, "", None):
        return False if value is not None else default
    raise BadRequest(name, "must be true or false")


def _positive_int(raw, name: str, default: int) -> int:
    if raw is None or raw == "":
        return default
    text = str(raw).strip()
    if not text.isdigit() or int(text) < 1:
        raise BadRequest(name, "must be a whole number, 1 or more")
    if len(text) > 9:
        raise BadRequest(name, "is too large")
    return int(text)


def _currency(body: Mapping) -> None:
    value = body.get("currency_id")
    if value is not None and (not isinstance(value, str) or len(value.strip()) != 3 or not value.strip().isalpha()):
        raise BadRequest("currency_id", "must be a three-letter currency code")


def _columns(raw) -> tuple[str, ...]:
    if raw is None:
        raise BadRequest("columns", "is required: a list of 1 to 10 {\"column\": name} objects")
    if not isinstance(raw, list) or not raw:
        raise BadRequest("columns", "must be a non-empty list of {\"column\": name} objects")
    if len(raw) > MAX_COLUMNS:
        raise BadRequest("columns", f"at most {MAX_COLUMNS} columns")
    names = []
    for item in raw:
        name = item.get("column") if isinstance(item, Mapping) else item if isinstance(item, str) else None
        if not isinstance(name, str):
            raise BadRequest("columns", "each entry must be {\"column\": name}")
        if name not in REPORT_COLUMNS:
            raise BadRequest("columns", f"unknown column {name!r}; known: {', '.join(REPORT_COLUMNS)}")
        if name in names:
            raise BadRequest("columns", f"column {name!r} is given twice")
        names.append(name)
    if sum(name in TIME_COLUMNS for name in names) > 1:
        raise BadRequest("columns", f"at most one time column ({', '.join(TIME_COLUMNS)})")
    return tuple(names)


def _filters(body: Mapping) -> Filters:
    query = _mapping(body.get("query"), "query")
    raw = query.get("filters", [])
    if raw is None:
        return Filters()
    if not isinstance(raw, list):
        raise BadRequest("query.filters", "must be a list of {resource_type, filter_id_value} objects")
    grouped: dict[str, list[str]] = {}
    for item in raw:
        if not isinstance(item, Mapping):
            raise BadRequest("query.filters", "each filter must be {\"resource_type\", \"filter_id_value\"}")
        kind, value = item.get("resource_type"), whole_number(item.get("filter_id_value"))
        if kind not in FILTER_TYPES:
            raise BadRequest("query.filters", f"unknown resource_type {kind!r}; known: {', '.join(FILTER_TYPES)}")
        if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value).strip() == "":
            raise BadRequest("query.filters", f"filter_id_value for {kind} must be a non-empty string or number")
        text = str(value).strip()
        if len(text) > 500:
            raise BadRequest("query.filters", f"filter_id_value for {kind} is longer than 500 characters")
        if kind == "offer" and not text.isdigit():
            raise BadRequest("query.filters", "an offer filter's filter_id_value is the offer id (a number)")
        if kind == "status" and text not in STATUSES:
            raise BadRequest("query.filters", f"status must be one of {', '.join(STATUSES)}")
        values = grouped.setdefault(kind, [])
        if text not in values:
            values.append(text)
        if len(values) > MAX_FILTER_VALUES:
            raise BadRequest("query.filters", f"at most {MAX_FILTER_VALUES} values per resource_type")
    return Filters(tuple((kind, tuple(values)) for kind, values in grouped.items()))


def _search_terms(body: Mapping) -> tuple[tuple[str, str], ...]:
    query = _mapping(body.get("query"), "query")
    raw = query.get("search_terms", [])
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise BadRequest("query.search_terms", "must be a list of {search_type, value} objects")
    terms = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise BadRequest("query.search_terms", "each term must be {\"search_type\", \"value\"}")
        kind, value = item.get("search_type"), item.get("value")
        if kind not in SEARCH_FIELDS:
            raise BadRequest("query.search_terms", f"unknown search_type {kind!r}; known: {', '.join(SEARCH_FIELDS)}")
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise BadRequest("query.search_terms", "value must be a non-empty string of at most 200 characters")
        terms.append((kind, value.strip()))
    return tuple(terms)
