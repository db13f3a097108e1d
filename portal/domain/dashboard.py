"""What the dashboard shows besides the headline figures: the last days' trend, the best offers and sub ids,
and the steps a new partner has still to take."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.domain.records import Metrics


@dataclass(frozen=True, slots=True)
class DayFigures:
    day: date  # a local day in the partner's timezone
    metrics: Metrics


@dataclass(frozen=True, slots=True)
class Ranked:
    """One of the top offers or sub ids: its id (the offer id, or the sub id itself), its label, its totals."""

    id: str
    label: str
    metrics: Metrics


@dataclass(frozen=True)
class RecentPerformance:
    """Every day of a window (days without traffic as zeros), and the best earners over it."""

    timezone: str
    currency: str
    first_day: date
    last_day: date
    days: tuple[DayFigures, ...]
    top_offers: tuple[Ranked, ...]
    top_sub_ids: tuple[Ranked, ...]


@dataclass(frozen=True)
class GettingStarted:
    """A new partner's first steps, each read from what the partner has really done."""

    has_traffic: bool  # found an offer and sent a click through their tracking link
    has_postback: bool
    has_api_key: bool

    @property
    def done(self) -> bool:
        return self.has_traffic and self.has_postback and self.has_api_key

    @property
    def steps_done(self) -> int:
        return sum((self.has_traffic, self.has_postback, self.has_api_key))
