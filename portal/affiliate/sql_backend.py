"""The built-in backend: this application's own SQL tables."""

from __future__ import annotations

from datetime import datetime

from portal.affiliate.backend import PeriodFigures
from portal.queries import dashboard


class SqlBackend:
    def period_figures(self, partner_id: int, start: datetime, end: datetime) -> PeriodFigures:
        conversions, earnings = dashboard.conversion_totals(partner_id, start, end)
        return PeriodFigures(
            clicks=dashboard.click_count(partner_id, start, end),
            conversions=conversions,
            earnings_cents=earnings,
        )
