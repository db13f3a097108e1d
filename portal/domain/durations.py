"""Spans of time said the way people say them: "30 seconds", "15 minutes", "2 hours", always rounded up."""

from __future__ import annotations

import math


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def friendly_duration(seconds: float) -> str:
    """Seconds under a minute, then whole minutes under an hour, then whole hours; never less than the span."""
    whole = max(1, math.ceil(seconds))
    if whole < 60:
        return _plural(whole, "second")
    minutes = math.ceil(whole / 60)
    if minutes < 60:
        return _plural(minutes, "minute")
    return _plural(math.ceil(whole / 3600), "hour")
