"""Demo time: the days that end at the end date, how busy each one is, and instants inside a day."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate

DAY = 86_400
# Share of a day's traffic by UTC hour: quiet at night, busy in the (US) evening.
HOUR_WEIGHTS = (3, 2, 2, 2, 2, 3, 4, 5, 6, 7, 7, 8, 8, 8, 9, 10, 11, 12, 13, 14, 14, 12, 8, 5)
HOUR_CUM = tuple(accumulate(HOUR_WEIGHTS))
_WEEKDAY_FACTOR = (1.0, 1.04, 1.06, 1.03, 0.97, 0.78, 0.72)  # Monday … Sunday
# The end date's day gets a fixed share of a day's traffic, so that the rows do not depend on the time of
# day; when the end date is today, that share is squeezed in between midnight and now.
LAST_DAY_FACTOR = 0.6


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


@dataclass(frozen=True)
class Window:
    """Consecutive days ending at the end date; nothing is dated at or after `cutoff`."""

    days: tuple[date, ...]
    cutoff: datetime

    @classmethod
    def ending(cls, end_date: date, length: int, now: datetime) -> Window:
        days = tuple(end_date - timedelta(days=n) for n in range(length - 1, -1, -1))
        cutoff = min(start_of(end_date + timedelta(days=1)), now)
        return cls(days=days, cutoff=cutoff)

    @property
    def cutoff_ts(self) -> int:
        return int(self.cutoff.timestamp())

    def day_span(self, index: int) -> tuple[int, int]:
        """(first second, usable seconds) of a day: the end date's day may be cut short by `cutoff`."""
        start = int(start_of(self.days[index]).timestamp())
        usable = min(DAY, self.cutoff_ts - start - 2)  # leave room for a conversion after the last click
        return start, max(usable, 0)


def day_weights(rng: random.Random, days: Sequence[date], noise: float = 0.15,
                surge_days: int = 0, surge: float = 1.0) -> list[float]:
    """Relative traffic per day: growing over the window, quieter at weekends, a little noisy."""
    n = len(days)
    weights = []
    for i, day in enumerate(days):
        trend = 0.8 + 0.4 * (i / max(n - 1, 1))
        w = trend * _WEEKDAY_FACTOR[day.weekday()] * rng.uniform(1 - noise, 1 + noise)
        if i >= n - surge_days:
            w *= surge
        weights.append(w)
    weights[-1] *= LAST_DAY_FACTOR
    return weights


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split a whole number by weights, exactly (largest remainder)."""
    if total <= 0 or not weights:
        return [0] * len(weights)
    whole = sum(weights)
    if whole <= 0:
        weights, whole = [1.0] * len(weights), float(len(weights))
    raw = [total * w / whole for w in weights]
    counts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def ensure_at_least(counts: list[int], indexes: Sequence[int], minimum: int,
                    ceiling: Sequence[int] | None = None) -> None:
    """Move units from the fullest other entries so that each counts[i] >= minimum (total unchanged)."""
    for index in indexes:
        while counts[index] < minimum and (ceiling is None or counts[index] < ceiling[index]):
            donors = [i for i in range(len(counts)) if i not in indexes and counts[i] > 0]
            if not donors:
                return
            donor = max(donors, key=lambda i: (counts[i], -i))
            counts[donor] -= 1
            counts[index] += 1


def instants(rng: random.Random, start: int, usable: int, k: int) -> list[int]:
    """k epoch seconds inside one day, shaped by HOUR_WEIGHTS and squeezed into the usable part."""
    hours = rng.choices(range(24), cum_weights=HOUR_CUM, k=k)
    scale = usable / DAY
    rand = rng.random
    return [start + int((h * 3600 + rand() * 3600) * scale) for h in hours]


def after(rng: random.Random, clicked: int, limit: int) -> int:
    """When a click converts: mostly within hours, sometimes days later, always before `limit`."""
    delay = 20 + int(1_209_600 * rng.random() ** 6)  # 20 s … 14 days, median about 5 hours
    squeeze = rng.random()  # drawn every time, so the sequence does not depend on the cutoff
    if clicked + delay < limit:
        return clicked + delay
    return clicked + max(1, int((limit - clicked) * squeeze))
