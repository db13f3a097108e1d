"""The dashboard's half of the façade: the last 30 days by day, the best offers and sub ids, first steps.

Built from the same scoped report the Reports page and the API run, so the dashboard never reads outside
the partner's own rows and its numbers agree with a report over the same days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal.affiliate.backend import AffiliateBackend
from portal.domain.criteria import ReportQuery, Window
from portal.domain.dashboard import DayFigures, GettingStarted, Ranked, RecentPerformance
from portal.domain.records import Metrics, ReportResult

TREND_DAYS = 30
TOP_ROWS = 5


class DashboardMixin:
    """Mixed into AffiliateScope; relies on its partner id, timezone, currency and backend."""

    partner_id: int
    _backend: AffiliateBackend

    def recent_performance(self, days: int = TREND_DAYS, now: datetime | None = None,
                           top: int = TOP_ROWS) -> RecentPerformance:
        """The last `days` local days including today: each day's totals, and the best earners over them."""
        tz_name = self.timezone
        tz = ZoneInfo(tz_name)
        last = (now or datetime.now(UTC)).astimezone(tz).date()
        first = last - timedelta(days=days - 1)
        window = Window(start=_midnight(first, tz), end=_midnight(last + timedelta(days=1), tz), timezone=tz_name,
                        first_day=first, last_day=last)
        by_day = {row.cells[0].label: row.metrics for row in self._report(window, "date").rows}
        series = tuple(DayFigures(first + timedelta(days=n), by_day.get((first + timedelta(days=n)).isoformat(),
                                                                        Metrics()))
                       for n in range(days))
        return RecentPerformance(timezone=tz_name, currency=self.currency, first_day=first, last_day=last,
                                 days=series, top_offers=_best(self._report(window, "offer"), top),
                                 top_sub_ids=_best(self._report(window, "sub1"), top))

    def getting_started(self) -> GettingStarted:
        return GettingStarted(has_traffic=self._backend.has_clicks(self.partner_id),
                              has_postback=self._backend.postback_count(self.partner_id) > 0,
                              has_api_key=self.has_active_key())

    def _report(self, window: Window, column: str) -> ReportResult:
        return self._backend.report(self.partner_id, ReportQuery(window=window, columns=(column,)), self.currency)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tz).astimezone(UTC)


def _best(result: ReportResult, top: int) -> tuple[Ranked, ...]:
    """The rows that earned most (then converted, then clicked most); rows without a value are left out."""
    rows = [row for row in result.rows if row.cells[0].id]
    rows.sort(key=lambda row: (-row.metrics.revenue_cents, -row.metrics.cv, -row.metrics.total_click,
                               row.cells[0].label))
    return tuple(Ranked(row.cells[0].id, row.cells[0].label, row.metrics) for row in rows[:top])
