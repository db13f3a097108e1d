"""What a partner may ask for, declared once: the request tables, and the readers that turn them into criteria.

The API passes its JSON body here as it came; the portal pages build the same shape from their query
string. Either way a bad value raises `BadRequest` naming the field and the rule it broke, before any
query runs. Each table below lists a request's fields with their kinds (portal.affiliate.fields), which
read the values leniently, as Everflow's clients send them, and describe them as JSON Schema: the OpenAPI
document (portal.api.affiliate.openapi_schemas) is built from these same tables. The criteria types and
the policy limits live in portal.domain.criteria.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from portal.affiliate.fields import (Body, Choice, CurrencyCode, Field, Flag, Moment, Nested, PositiveInt,
                                     TimezoneId, TimezoneName, mapping, one_of, whole_number)
from portal.affiliate.report_fields import Columns, FilterList, SearchTerms
from portal.domain.criteria import (DEFAULT_PAGE_SIZE, MAX_CLICK_DAYS, MAX_PAGE_SIZE, MAX_REPORT_DAYS,
                                    ON_HOLD_STATUS_FILTERS, ORDER_FIELDS, ClickQuery, ConversionQuery, Filters, Page,
                                    ReportQuery, Window)
from portal.domain.errors import BadRequest
from portal.exports.tabular import EXPORT_FORMATS

__all__ = ["CLICKS", "CONVERSIONS", "DASHBOARD", "EXPORT", "ON_HOLD", "ORDER", "PAGING", "REPORT", "click_query",
           "conversion_query", "export_format", "page_of", "parse_window", "report_query", "timezone_name",
           "whole_number"]

# --- the tables -----------------------------------------------------------------------------------------

TIMEZONE = Body(
    Field("timezone_id", TimezoneId(), "An id from GET /v1/meta/timezones; default: your account's timezone"),
    Field("timezone", TimezoneName(), "(ext) An IANA zone name, instead of timezone_id"),
)


def span(max_days: int) -> str:
    """How a range limit reads in messages and in the document."""
    return "one year" if max_days == MAX_REPORT_DAYS else f"{max_days} days"


@cache
def window_fields(max_days: int) -> Body:
    """The fields every dated request starts with: the dates, their timezone, and whether test data counts."""
    return Body(
        Field("from", Moment(), "First day (YYYY-MM-DD) or moment (YYYY-MM-DD HH:MM:SS) in the report's timezone",
              required=True, example="2026-11-01"),
        Field("to", Moment(), f"Last day, inclusive, or moment; at most {span(max_days)} after `from`",
              required=True, example="2026-11-30"),
        *TIMEZONE.fields,
        Field("include_test_data", Flag(), "Count test conversions and clicks too (default false)", default=False),
    )


FILTERS = Field("filters", FilterList(), default=Filters())
SEARCH_TERMS = Field("search_terms", SearchTerms(), default=())

REPORT = Body(
    *window_fields(MAX_REPORT_DAYS).fields,
    Field("currency_id", CurrencyCode(), "Accepted for compatibility; money is in your currency"),
    Field("columns", Columns(), required=True),
    Field("query", Nested(Body(FILTERS))),
)
CONVERSIONS = Body(
    *window_fields(MAX_REPORT_DAYS).fields,
    Field("show_conversions", Flag(), default=True),
    Field("show_events", Flag(), default=True),
    Field("query", Nested(Body(FILTERS, SEARCH_TERMS))),
)
ON_HOLD = Body(
    *CONVERSIONS.fields,
    Field("on_hold_status_filter", Choice(ON_HOLD_STATUS_FILTERS, "must be on_hold, approved, rejected or empty",
                                          nullable=True), "Empty: every on-hold conversion", default=""),
)
CLICKS = Body(*window_fields(MAX_CLICK_DAYS).fields, Field("query", Nested(Body(FILTERS))))
DASHBOARD = TIMEZONE
EXPORT = Body(Field("format", Choice(EXPORT_FORMATS, f"must be {one_of(EXPORT_FORMATS)}"), default="csv",
                    show_default=True))

# Query-string arguments (on POST endpoints too, as Everflow does); an empty one is its default.
PAGING = Body(
    Field("page", PositiveInt(), "1-based page number", default=1),
    Field("page_size", PositiveInt(maximum=MAX_PAGE_SIZE), "Rows per page", default=DEFAULT_PAGE_SIZE,
          show_default=True),
)
ORDER = Body(
    Field("order_field", Choice(ORDER_FIELDS, f"must be one of {', '.join(ORDER_FIELDS)}", empty=True),
          "(ext) Sort order; default conversion_unix_timestamp", default="conversion_unix_timestamp"),
    Field("order_direction", Choice(("asc", "desc"), "must be asc or desc", empty=True, fold_case=True),
          "(ext) default desc", default="desc"),
)

# --- the readers ----------------------------------------------------------------------------------------


def report_query(body: Mapping, default_timezone: str) -> ReportQuery:
    body = mapping(body, "body")
    window = parse_window(body, default_timezone, MAX_REPORT_DAYS)
    REPORT.read(body, "currency_id")
    columns = REPORT.read(body, "columns")
    return ReportQuery(window=window, columns=columns, filters=REPORT.read(body, "query")["filters"],
                       include_test=REPORT.read(body, "include_test_data"))


def conversion_query(body: Mapping, default_timezone: str, args: Mapping | None = None, *,
                     on_hold: bool = False) -> ConversionQuery:
    body = mapping(body, "body")
    args = args or {}
    window = parse_window(body, default_timezone, MAX_REPORT_DAYS)
    # Everflow sorts by query-string arguments; the same names in the body are taken too.
    order_field, direction = (field.take(args.get(field.name) or body.get(field.name)) for field in ORDER.fields)
    on_hold_status = ON_HOLD.read(body, "on_hold_status_filter") if on_hold else None
    show_conversions = CONVERSIONS.read(body, "show_conversions")
    show_events = CONVERSIONS.read(body, "show_events")
    if not (show_conversions or show_events):
        raise BadRequest("show_conversions", "show_conversions or show_events must be true")
    query = CONVERSIONS.read(body, "query")
    return ConversionQuery(window=window, filters=query["filters"], search_terms=query["search_terms"],
                           show_conversions=show_conversions, show_events=show_events,
                           include_test=CONVERSIONS.read(body, "include_test_data"),
                           on_hold_status=on_hold_status, order_field=order_field, descending=direction == "desc")


def click_query(body: Mapping, default_timezone: str) -> ClickQuery:
    body = mapping(body, "body")
    window = parse_window(body, default_timezone, MAX_CLICK_DAYS)
    return ClickQuery(window=window, filters=CLICKS.read(body, "query")["filters"],
                      include_test=CLICKS.read(body, "include_test_data"))


def page_of(args: Mapping) -> Page:
    """?page=&page_size= from the query string (also on POST endpoints, as Everflow does)."""
    return Page(PAGING.read(args, "page"), PAGING.read(args, "page_size"))


def export_format(body: Mapping) -> str:
    """An export's `format` (csv when absent)."""
    return EXPORT.read(body, "format")


def timezone_name(body: Mapping, default: str) -> str:
    """timezone_id (Everflow's ids, GET /v1/meta/timezones) or, as our extension, an IANA `timezone`."""
    return TIMEZONE.read(body, "timezone_id") or TIMEZONE.read(body, "timezone") or default


def parse_window(body: Mapping, default_timezone: str, max_days: int) -> Window:
    tz_name = timezone_name(body, default_timezone)
    tz = ZoneInfo(tz_name)
    fields = window_fields(max_days)
    start_local = fields.read(body, "from")[0].replace(tzinfo=tz)
    to_naive, whole_day = fields.read(body, "to")
    to_local = to_naive.replace(tzinfo=tz)
    end_local = (datetime.combine(to_local.date() + timedelta(days=1), time.min, tz) if whole_day
                 else to_local + timedelta(seconds=1))  # `to` is inclusive
    start, end = start_local.astimezone(UTC), end_local.astimezone(UTC)
    if start >= end:
        raise BadRequest("from", "must not be after to")
    if end - start > timedelta(days=max_days, hours=1):  # an hour of slack for a DST change inside the range
        raise BadRequest("to", f"the range from `from` to `to` may span at most {span(max_days)}")
    last = (end_local - timedelta(microseconds=1)).astimezone(tz).date()
    return Window(start=start, end=end, timezone=tz_name, first_day=start_local.date(), last_day=last)
