"""The backend interface the affiliate façade delegates to, so another tracking platform can plug in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """What a partner earned and drove in one window; amounts in minor units."""

    clicks: int
    conversions: int
    earnings_cents: int


class AffiliateBackend(Protocol):
    """Data access for one network. Every method takes the partner id first."""

    def period_figures(self, partner_id: int, start: datetime, end: datetime) -> PeriodFigures: ...
