"""The backend interface the affiliate façade delegates to, so another tracking platform can plug in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from portal.affiliate.criteria import ClickQuery, ConversionQuery, Page, Paged, ReportQuery
from portal.affiliate.records import ClickRecord, ClickResult, ConversionRecord, ReportResult
from portal.queries.conversions import ExportRows


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """What a partner earned and drove in one window; amounts in minor units."""

    clicks: int
    conversions: int
    earnings_cents: int
    events: int = 0


class AffiliateBackend(Protocol):
    """Data access for one network. Every method takes the partner id first and returns only its rows."""

    def period_figures(self, partner_id: int, start: datetime, end: datetime) -> PeriodFigures: ...

    def report(self, partner_id: int, query: ReportQuery, currency: str) -> ReportResult: ...

    def conversions(self, partner_id: int, query: ConversionQuery, page: Page) -> Paged: ...

    def conversion_count(self, partner_id: int, query: ConversionQuery) -> int: ...

    def conversion_export(self, partner_id: int, query: ConversionQuery, batch_size: int) -> ExportRows:
        """The matching rows' count and the rows in batches, read from one snapshot (see queries.conversions)."""

    def conversion(self, partner_id: int, conversion_id: str) -> ConversionRecord | None: ...

    def clicks(self, partner_id: int, query: ClickQuery, limit: int) -> ClickResult: ...

    def click(self, partner_id: int, transaction_id: str) -> ClickRecord | None: ...
