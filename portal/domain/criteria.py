"""What a partner may ask for: report, conversion and click criteria and the policy limits on them.

Values of these types are already checked (portal.affiliate.parsing builds them from a request body or a
page's query string); every layer may take them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_REPORT_DAYS = 366  # "one year": a leap year's 1 January to 31 December is allowed
MAX_REPORT_ROWS = 10_000
MAX_CLICK_DAYS = 14
MAX_CLICK_ROWS = 5_000
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 2_000
MAX_COLUMNS = 10
MAX_FILTER_VALUES = 100
MAX_ID = 2**31 - 1  # the database's integer ids (offers, postbacks): a larger one names nothing

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
MAX_TRANSACTION_ID = 64  # the longest transaction id stored; a longer prefix matches nothing



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
    transaction_prefix: str | None = None  # the pages' transaction id search: ids that start with this
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


def window_for_days(first: date, last: date, tz_name: str) -> Window:
    """Whole local days first..last (for presets on the portal pages); no limit checks."""
    tz = ZoneInfo(tz_name)
    start = datetime.combine(first, time.min, tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tz).astimezone(UTC)
    return Window(start=start, end=end, timezone=tz_name, first_day=first, last_day=last)
