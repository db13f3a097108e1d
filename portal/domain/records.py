"""What the façade's reports return: partner-safe rows with money in minor units and times in UTC."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Cell:
    """One dimension value of a report row: Everflow's {column_type, id, label}."""

    column_type: str
    id: str
    label: str
    sort_key: object = None  # what the column sorts by (a date, an hour number); defaults to the label


@dataclass(frozen=True, slots=True)
class Metrics:
    """Totals of one report row. Rates are derived, never summed.

    As in Everflow, total_click is valid clicks (unique + duplicate); invalid clicks are counted apart."""

    total_click: int = 0
    unique_click: int = 0
    cv: int = 0  # conversions (approved or pending)
    event: int = 0  # post-conversion events (approved or pending)
    revenue_cents: int = 0  # the partner's earnings, CPC clicks' included ("revenue" in the Everflow API)
    on_hold_conversion_count: int = 0
    on_hold_potential_revenue_cents: int = 0
    imp: int = 0  # impressions
    invalid_click: int = 0  # clicks not sent on to the offer (paused, capped, not runnable, …)

    def __add__(self, other: "Metrics") -> "Metrics":
        return Metrics(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def duplicate_click(self) -> int:
        return self.total_click - self.unique_click

    @property
    def ctr(self) -> float:
        """Clicks per 100 impressions (Everflow's click-through rate, a percentage like cvr)."""
        return round(100 * self.total_click / self.imp, 4) if self.imp else 0.0

    @property
    def cvr(self) -> float:
        """Conversions per 100 clicks."""
        return round(100 * self.cv / self.total_click, 4) if self.total_click else 0.0

    @property
    def evr(self) -> float:
        return round(100 * self.event / self.total_click, 4) if self.total_click else 0.0

    @property
    def rpc_cents(self) -> float:
        """Earnings per click (EPC), in minor units."""
        return self.revenue_cents / self.total_click if self.total_click else 0.0

    @property
    def rpm_cents(self) -> float:
        """Earnings per thousand impressions, in minor units."""
        return 1000 * self.revenue_cents / self.imp if self.imp else 0.0


@dataclass(frozen=True, slots=True)
class ReportRow:
    cells: tuple[Cell, ...]
    metrics: Metrics


@dataclass(frozen=True)
class ReportResult:
    columns: tuple[str, ...]
    rows: list[ReportRow]
    summary: Metrics
    incomplete_results: bool
    currency: str


@dataclass(frozen=True, slots=True)
class ConversionRecord:
    """One conversion or event as its partner may see it (no network revenue, no internal fields)."""

    conversion_id: str
    transaction_id: str | None
    created_at: datetime
    click_created_at: datetime | None
    status: str
    payout_cents: int
    sale_amount_cents: int
    currency: str
    event_name: str | None
    sub1: str | None
    sub2: str | None
    sub3: str | None
    sub4: str | None
    sub5: str | None
    source_id: str | None
    order_id: str | None
    coupon_code: str | None
    country: str | None
    device: str | None
    browser: str | None
    platform: str | None
    ip: str | None
    offer_id: int
    offer_name: str
    offer_payout_type: str
    is_test: bool
    hold_until: datetime | None

    @property
    def is_event(self) -> bool:
        return self.event_name is not None


# The columns of a conversions export, in order (ConversionRecord fields, as tuples from the query).
CONVERSION_FIELDS = tuple(f.name for f in fields(ConversionRecord))


@dataclass(frozen=True, slots=True)
class ClickRecord:
    transaction_id: str
    created_at: datetime
    is_unique: bool
    is_test: bool
    offer_id: int
    offer_name: str
    sub1: str | None
    sub2: str | None
    sub3: str | None
    sub4: str | None
    sub5: str | None
    source_id: str | None
    ip: str | None
    user_agent: str | None
    referer: str | None
    country: str | None
    device: str | None
    browser: str | None
    platform: str | None
    region: str | None
    city: str | None
    offer_url_id: int  # the landing page (0: the offer's default)
    creative_id: int | None
    error_code: int | None  # set: an invalid click, not sent on to the offer
    error_message: str | None
    payout_type: str  # the partner's payout rule on the offer: flat, percent or cpc
    payout_cents: int  # what the click earned (a unique valid click on a CPC rule), else 0
    converted: bool  # a conversion of this click exists (and is the partner's)


@dataclass(frozen=True)
class ClickResult:
    clicks: list[ClickRecord]
    incomplete_results: bool  # more clicks matched than the 5,000 returned


@dataclass(frozen=True)
class PeriodSummary:
    """Dashboard figures for one window (conversions and events counted as in reports)."""

    clicks: int
    conversions: int
    events: int
    revenue_cents: int


@dataclass
class ExportRows:
    """What an export reads: how many rows its query counted, and those rows a batch at a time."""

    count: int
    batches: Iterator[list[tuple]]
