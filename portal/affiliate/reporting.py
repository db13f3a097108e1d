"""The reporting half of the façade: reports, conversions and clicks of one partner, within policy."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal.affiliate.backend import AffiliateBackend
from portal.domain.accounts import PeriodFigures
from portal.domain.criteria import MAX_CLICK_ROWS, ClickQuery, ConversionQuery, Page, Paged, ReportQuery
from portal.domain.errors import NotFound
from portal.domain.records import ClickRecord, ClickResult, ConversionRecord, ExportRows, ReportResult

EXPORT_BATCH_ROWS = 10_000
DASHBOARD_METRICS = ("revenue", "click", "conversion", "cvr", "events", "evr", "impression")


class ReportingMixin:
    """Mixed into AffiliateScope; relies on its partner id, timezone and backend."""

    partner_id: int
    _backend: AffiliateBackend

    @property
    def timezone(self) -> str:
        return self._partner.timezone or "UTC"

    @property
    def currency(self) -> str:
        return self._partner.currency or "USD"

    def report(self, query: ReportQuery) -> ReportResult:
        """Aggregated report: up to MAX_REPORT_ROWS rows (then incomplete_results), and a summary row."""
        return self._backend.report(self.partner_id, query, self.currency)

    def conversions(self, query: ConversionQuery, page: Page) -> Paged:
        """A page of ConversionRecords and the total that matched (on-hold list when query.on_hold_status is set)."""
        return self._backend.conversions(self.partner_id, query, page)

    def conversion_count(self, query: ConversionQuery) -> int:
        return self._backend.conversion_count(self.partner_id, query)

    def conversion_export(self, query: ConversionQuery, batch_size: int = EXPORT_BATCH_ROWS) -> ExportRows:
        """Every matching conversion as tuples in CONVERSION_FIELDS order, a batch at a time, in the
        query's order, with the count of the same snapshot (exports check the file against it)."""
        return self._backend.conversion_export(self.partner_id, query, batch_size)

    def conversion(self, conversion_id: str) -> ConversionRecord:
        found = self._backend.conversion(self.partner_id, conversion_id) if _plausible_id(conversion_id) else None
        if found is None:
            raise NotFound("conversion")
        return found

    def clicks(self, query: ClickQuery) -> ClickResult:
        return self._backend.clicks(self.partner_id, query, MAX_CLICK_ROWS)

    def click(self, transaction_id: str) -> ClickRecord:
        found = self._backend.click(self.partner_id, transaction_id) if _plausible_id(transaction_id) else None
        if found is None:
            raise NotFound("click")
        return found

    def dashboard_summary(self, timezone: str | None = None, now: datetime | None = None) -> dict[str, dict]:
        """Everflow's dashboard cards: each metric today, yesterday, this month and last month (local days)."""
        tz = ZoneInfo(timezone or self.timezone)
        today = (now or datetime.now(UTC)).astimezone(tz).date()
        first_of_month = today.replace(day=1)
        first_of_last = (first_of_month - timedelta(days=1)).replace(day=1)
        # Last month's figure for the trend covers the same number of days as this month so far.
        same_point_last_month = min(first_of_last + (today - first_of_month), first_of_month - timedelta(days=1))
        windows = {
            "today": (today, today), "yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
            "current_month": (first_of_month, today), "last_month": (first_of_last, first_of_month - timedelta(days=1)),
            "last_month_to_date": (first_of_last, same_point_last_month),
        }
        figures = {name: self._figures(tz, first, last) for name, (first, last) in windows.items()}
        values = {name: _metric_values(f) for name, f in figures.items()}
        summary = {}
        for metric in DASHBOARD_METRICS:
            before, now_value = values["last_month_to_date"][metric], values["current_month"][metric]
            trend = round(100 * (now_value - before) / before, 2) if before else 0.0
            summary[metric] = {"today": values["today"][metric], "yesterday": values["yesterday"][metric],
                               "current_month": now_value, "last_month": values["last_month"][metric],
                               "trending_percentage": trend}
        return summary

    def _figures(self, tz: ZoneInfo, first: date, last: date) -> PeriodFigures:
        start = datetime.combine(first, time.min, tz).astimezone(UTC)
        end = datetime.combine(last + timedelta(days=1), time.min, tz).astimezone(UTC)
        return self._backend.period_figures(self.partner_id, start, end)


def _metric_values(f: PeriodFigures) -> dict[str, float]:
    return {
        "revenue": f.earnings_cents / 100, "click": f.clicks, "conversion": f.conversions,
        "cvr": round(100 * f.conversions / f.clicks, 4) if f.clicks else 0.0, "events": f.events,
        "evr": round(100 * f.events / f.clicks, 4) if f.clicks else 0.0, "impression": f.impressions,
    }


def _plausible_id(value: str) -> bool:
    """Ids are short printable strings; anything else cannot exist (and PostgreSQL refuses NUL bytes)."""
    return isinstance(value, str) and 0 < len(value) <= 64 and value.isprintable()
