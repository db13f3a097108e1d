"""Invoice periods: a period is invoiced only once its last day is over where the network keeps time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def unfinished_period(end: date, now: datetime, timezone: str) -> str | None:
    """Why a period ending on `end` (inclusive) cannot be invoiced at `now`, or None once it is over.

    A period is over when its last day has ended in the network's timezone: one that ended yesterday or
    before may be invoiced. Invoicing a month that is still running would leave its later conversions for
    a second invoice of the same period."""
    zone = timezone or "UTC"
    today = now.astimezone(ZoneInfo(zone)).date()
    if end < today:
        return None
    return (f"The period ends on {end.isoformat()}, which is not over yet (today is {today.isoformat()} in the "
            f"network's timezone, {zone}); invoice it once its last day has ended.")
