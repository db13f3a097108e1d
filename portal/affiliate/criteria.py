"""What a partner may ask for: report, conversion and click criteria, parsed from a request body and checked.

The API passes its JSON body here as it came; the portal pages build the same shape from their query
string. Either way a bad value raises `BadRequest` naming the field and the rule it broke, before any
query runs. Policy limits (one year, 14 days of clicks, page sizes) live here too, in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal.affiliate import timezones

MAX_REPORT_DAYS = 366  # "one year": a leap year's 1 January to 31 December is allowed
MAX_REPORT_ROWS = 10_000
MAX_CLICK_DAYS = 14
MAX_CLICK_ROWS = 5_000
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 2_000
MAX_COLUMNS = 10
MAX_FILTER_VALUES = 100

TIME_COLUMNS = ("hour", "date", "week", "month", "year")
# Report columns (Everflow's names). "device_type" is the device class; "platform" the operating system.
REPORT_COLUMNS = ("offer", "country", "sub1", "sub2", "sub3", "sub4", "sub5", "source_id", "event_name",
                  "device_type", "browser", "platform", "coupon_code", *TIME_COLUMNS)
# Filters (query.filters[].resource_type): the same type twice is OR, different types are AND.
FILTER_TYPES = ("offer", "status", "country", "transaction_id", "sub1", "sub2", "sub3", "sub4", "sub5",
                "source_id", "event_name")
STATUSES = ("approved", "pending", "rejected", "on_hold")
# Conversion search terms (query.search_terms[]): a case-insensitive substring of one field.
SEARCH_FIELDS = ("conversion_id", "transaction_id", "order_id", "coupon_code", "sub1", "sub2", "sub3", "sub4",
                 "sub5", "source_id", "offer_name")
ORDER_FIELDS = ("conversion_unix_timestamp", "revenue", "sale_amount", "status", "offer")
ON_HOLD_STATUS_FILTERS = ("on_hold", "approved", "rejected", "")


class BadRequest(ValueError):
    """A value the partner sent that cannot be used; the message names the field and the rule."""

    def __init__(self, field_name: str, rule: str) -> None:
        super().__init__(f"{field_name}: {rule}")
        self.field = field_name
        self.rule = rule
        self.message = f"{field_name}: {rule}"


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval [start, end) and how the partner wrote it (for filenames and labels)."""

    start: datetime
    end: datetime
    timezone: str  # IANA name the dates were read in
    first_day: date  # local date of `start`
    last_day: date  # local date of the last instant in the window

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Filters:
    """resource_type → accepted values (OR within one type, AND across types)."""

    by_type: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def get(self, resource_type: str) -> tuple[str, ...]:
        return next((values for kind, values in self.by_type if kind == resource_type), ())

    def __bool__(self) -> bool:
        return bool(self.by_type)

    def types(self) -> set[str]:
        return {kind for kind, _ in self.by_type}


@dataclass(frozen=True)
class ReportQuery:
    window: Window
    columns: tuple[str, ...]
    filters: Filters = Filters()
    include_test: bool = False

    @property
    def time_column(self) -> str | None:
        return next((c for c in self.columns if c in TIME_COLUMNS), None)


@dataclass(frozen=True)
class ConversionQuery:
    window: Window
    filters: Filters = Filters()
    search_terms: tuple[tuple[str, str], ...] = ()  # (field, substring)
    show_conversions: bool = True
    show_events: bool = True
    include_test: bool = False
    on_hold_status: str | None = None  # set for the on-hold list: "on_hold", "approved", "rejected" or ""
    order_field: str = "conversion_unix_timestamp"
    descending: bool = True


@dataclass(frozen=True)
class ClickQuery:
    window: Window
    filters: Filters = Filters()
    include_test: bool = False


@dataclass(frozen=True)
class Page:
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass(frozen=True)
class Paged:
    """One page of items and the total that matched."""

    items: list
    page: Page
    total_count: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total_count // self.page.page_size))


# --- parsing -------------------------------------------------------------------------------------------


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


def window_for_days(first: date, last: date, tz_name: str) -> Window:
    """Whole local days first..last (for presets on the portal pages); no limit checks."""
    tz = ZoneInfo(tz_name)
    start = datetime.combine(first, time.min, tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tz).astimezone(UTC)
    return Window(start=start, end=end, timezone=tz_name, first_day=first, last_day=last)


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
