"""The report and conversion forms: a query string turned into the criteria body the Affiliate API takes.

The pages are GET forms so that a partner can bookmark a report or send it to their account manager; this
module reads those query strings into the same body shape as the API's, and `criteria` checks it. What
the pages add on top (date presets, the picked sort and chart metric) is checked here, with the same
`BadRequest` so that one error path serves both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import url_for
from werkzeug.datastructures import MultiDict

from portal.affiliate.parsing import timezone_name
from portal.domain import timezones
from portal.domain.criteria import MAX_TRANSACTION_ID, STATUSES
from portal.domain.errors import BadRequest
from portal.domain.text import text_fault

PRESETS = (("today", "Today"), ("yesterday", "Yesterday"), ("last_7_days", "Last 7 days"),
           ("last_30_days", "Last 30 days"), ("this_month", "This month"), ("last_month", "Last month"),
           ("custom", "Custom range"))
# The dimensions the report page offers, under the API's column names ("device_type", "event_name").
DIMENSIONS = (("date", "Date"), ("week", "Week"), ("month", "Month"), ("offer", "Offer"), ("sub1", "Sub 1"),
              ("sub2", "Sub 2"), ("sub3", "Sub 3"), ("sub4", "Sub 4"), ("sub5", "Sub 5"),
              ("source_id", "Source ID"), ("country", "Country"), ("device_type", "Device"),
              ("event_name", "Event"))
DEFAULT_COLUMNS = ("date",)
REPORT_FILTERS = ("offer", "status", "country", "sub1", "sub2", "sub3", "sub4", "sub5", "source_id")
# The conversion form's Transaction ID finds ids that start with what was typed (see transaction_prefix); the
# API keeps Everflow's exact transaction_id filter.
CONVERSION_FILTERS = REPORT_FILTERS
TRUE_VALUES = ("1", "true", "on")
EXCEL = "excel"  # ?excel=1 on a CSV export: the Excel-friendly variant (a UTF-8 byte-order mark first)


@dataclass(frozen=True)
class Period:
    """The dates a page shows: a preset resolved to local days, or the custom dates as typed."""

    preset: str
    first: str  # YYYY-MM-DD for presets; whatever was typed for a custom range (criteria checks it)
    last: str
    timezone: str  # the IANA name picked in the form; "" means the partner's own timezone

    def body(self) -> dict:
        body = {"from": self.first, "to": self.last}
        if self.timezone:
            body["timezone"] = self.timezone
        return body

    def pinned(self) -> dict:
        """Query arguments that fix the dates, so an export made later covers the days on screen."""
        return {"preset": "custom", "from": self.first, "to": self.last}


def preset_days(preset: str, today: date) -> tuple[date, date]:
    """First and last local day of a preset; the rolling presets include today."""
    first_of_month = today.replace(day=1)
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if preset == "last_7_days":
        return today - timedelta(days=6), today
    if preset == "last_30_days":
        return today - timedelta(days=29), today
    if preset == "this_month":
        return first_of_month, today
    if preset == "last_month":
        last = first_of_month - timedelta(days=1)
        return last.replace(day=1), last
    raise BadRequest("preset", f"must be one of {', '.join(name for name, _ in PRESETS)}")


def period_of(args: Mapping, default_timezone: str, now: datetime, default_preset: str) -> Period:
    """Dates from ?preset= (or ?from=&to= for a custom range); presets are days in the chosen timezone.

    A preset other than "custom" wins over dates sent alongside it (the form always sends both; its
    script switches the preset to "custom" as soon as a date is typed)."""
    picked = (args.get("timezone") or "").strip()
    tz_name = timezone_name({"timezone": picked}, default_timezone)
    custom = args.get("from") or args.get("to")
    preset = args.get("preset") or ("custom" if custom else default_preset)
    if preset == "custom":
        return Period("custom", args.get("from", ""), args.get("to", ""), picked)
    first, last = preset_days(preset, now.astimezone(ZoneInfo(tz_name)).date())
    return Period(preset, first.isoformat(), last.isoformat(), picked)


def as_typed(args: Mapping) -> Period:
    """The dates exactly as sent, to show them again next to an error message."""
    return Period(args.get("preset") or "custom", args.get("from", ""), args.get("to", ""), args.get("timezone", ""))


def filters_of(args: MultiDict, types: tuple[str, ...]) -> list[dict]:
    """?sub1=a&sub1=b&offer=12 → the API's filter list (the same type twice means either value)."""
    return [{"resource_type": kind, "filter_id_value": value.strip()}
            for kind in types for value in args.getlist(kind) if value.strip()]


def include_test(args: Mapping) -> bool:
    return args.get("include_test_data") in TRUE_VALUES


def columns_of(args: MultiDict) -> tuple[str, ...]:
    # Every checkbox unticked sends no column at all: show the default rather than an empty report.
    return tuple(c for c in args.getlist("column") if c) or DEFAULT_COLUMNS


def report_body(args: MultiDict, period: Period, columns: tuple[str, ...]) -> dict:
    return {**period.body(), "columns": [{"column": c} for c in columns],
            "query": {"filters": filters_of(args, REPORT_FILTERS)}, "include_test_data": include_test(args)}


def conversion_body(args: MultiDict, period: Period, on_hold_status: str | None = None) -> dict:
    body = {**period.body(), "query": {"filters": filters_of(args, CONVERSION_FILTERS)},
            "include_test_data": include_test(args), "show_conversions": True, "show_events": True}
    if on_hold_status is not None:
        body["on_hold_status_filter"] = on_hold_status
    return body


def transaction_prefix(args: Mapping) -> str | None:
    """The Transaction ID field: the start of an id (pasted ids are often cut short), or None when empty."""
    prefix = (args.get("transaction_id") or "").strip()
    if not prefix:
        return None
    fault = text_fault(prefix)
    if fault:
        raise BadRequest("transaction_id", fault)
    if len(prefix) > MAX_TRANSACTION_ID:
        raise BadRequest("transaction_id", f"must be at most {MAX_TRANSACTION_ID} characters")
    return prefix


def form_choices(own_zone: str) -> dict:
    """What the date and filter fields offer: Everflow's zones; the partner's own zone, and a zone a bookmarked
    query string names, are offered too when Everflow's list lacks them (any IANA zone is accepted)."""
    return {"presets": PRESETS, "zones": timezones.TIMEZONES, "own_zone": own_zone,
            "own_zone_listed": timezones.by_iana(own_zone) is not None, "statuses": STATUSES,
            "listed_zones": frozenset(zone.iana for zone in timezones.TIMEZONES), "known_zones": timezones.IANA_NAMES}


def choice(args: Mapping, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = args.get(name) or default
    if value not in allowed:
        raise BadRequest(name, f"must be one of {', '.join(allowed)}")
    return value


def query_args(args: MultiDict, **changes) -> dict:
    """The current query string with some arguments replaced (None drops one): for sort, page and export links."""
    merged = {key: values for key, values in args.lists()}
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def export_urls(endpoint: str, args: dict) -> dict[str, str]:
    """The export menu's links for the rows on screen: CSV, Excel-friendly CSV and JSON."""
    plain = {key: value for key, value in args.items() if key != EXCEL}
    return {"csv": url_for(endpoint, fmt="csv", **plain), "excel": url_for(endpoint, fmt="csv", **plain, excel="1"),
            "json": url_for(endpoint, fmt="json", **plain)}


def excel_friendly_asked(args: Mapping, fmt: str) -> bool:
    return fmt == "csv" and args.get(EXCEL) in TRUE_VALUES


@dataclass(frozen=True)
class SortHeader:
    key: str
    label: str
    href: str  # this page sorted by the column (the other way round when it is the current sort)
    direction: str | None  # "asc" or "desc" when the page is sorted by this column
    numeric: bool = False


def sort_headers(columns: list[tuple[str, str, bool]], current: str | None, descending: bool,
                 href: Callable[[str, str], str]) -> list[SortHeader]:
    """Headers for (key, label, numeric) columns; numbers sort largest first on the first click."""
    headers = []
    for key, label, numeric in columns:
        direction = ("desc" if descending else "asc") if key == current else None
        following = ("asc" if direction == "desc" else "desc") if direction else ("desc" if numeric else "asc")
        headers.append(SortHeader(key, label, href(key, following), direction, numeric))
    return headers
