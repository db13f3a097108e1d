"""The built-in backend: this application's own SQL tables."""

from __future__ import annotations

from datetime import datetime

from portal.affiliate.backend import PeriodFigures
from portal.affiliate.criteria import ClickQuery, ConversionQuery, Page, Paged, ReportQuery
from portal.affiliate.records import ClickRecord, ClickResult, ConversionRecord, ReportResult
from portal.queries.conversions import ExportRows
from portal.affiliate.report_builder import build_report
from portal.queries import clicks as click_queries
from portal.queries import conversions as conversion_queries
from portal.queries import dashboard


class SqlBackend:
    def period_figures(self, partner_id: int, start: datetime, end: datetime) -> PeriodFigures:
        conversions, events, earnings = dashboard.conversion_totals(partner_id, start, end)
        return PeriodFigures(clicks=dashboard.click_count(partner_id, start, end), conversions=conversions,
                             earnings_cents=earnings, events=events)

    def report(self, partner_id: int, query: ReportQuery, currency: str) -> ReportResult:
        return build_report(partner_id, query, currency)

    def conversions(self, partner_id: int, query: ConversionQuery, page: Page) -> Paged:
        rows = conversion_queries.page(partner_id, query, page.offset, page.page_size)
        return Paged(items=[ConversionRecord(*row) for row in rows], page=page,
                     total_count=conversion_queries.count(partner_id, query))

    def conversion_count(self, partner_id: int, query: ConversionQuery) -> int:
        return conversion_queries.count(partner_id, query)

    def conversion_export(self, partner_id: int, query: ConversionQuery, batch_size: int) -> ExportRows:
        return conversion_queries.export(partner_id, query, batch_size)

    def conversion(self, partner_id: int, conversion_id: str) -> ConversionRecord | None:
        row = conversion_queries.by_id(partner_id, conversion_id)
        return ConversionRecord(*row) if row else None

    def clicks(self, partner_id: int, query: ClickQuery, limit: int) -> ClickResult:
        window = query.window
        rows = click_queries.newest(partner_id, window.start, window.end, query.filters.by_type,
                                    query.include_test, limit + 1)
        converted = click_queries.converted(partner_id, [row[0] for row in rows[:limit]])
        return ClickResult(clicks=[ClickRecord(*row, converted=row[0] in converted) for row in rows[:limit]],
                           incomplete_results=len(rows) > limit)

    def click(self, partner_id: int, transaction_id: str) -> ClickRecord | None:
        row = click_queries.by_transaction_id(partner_id, transaction_id)
        if row is None:
            return None
        return ClickRecord(*row, converted=bool(click_queries.converted(partner_id, [transaction_id])))
