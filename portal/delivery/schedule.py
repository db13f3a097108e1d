"""When a failed postback is tried again, and when a failing postback is turned off.

Retries follow Svix's schedule (reference/security-reliability-notes.md §3.1–3.2): after the 1st, 2nd, …
failed automatic attempt wait 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, each ±20 % jitter; the 8th failed
attempt is final (about 27.6 h in all), because partner trackers go down for longer than a few hours.
After a timeout or a 429 the wait is at least 60 s, so a struggling tracker is not hammered. A
Retry-After header is honoured within [base delay, 2 × base delay]: it can slow the schedule down, up to
double, but never speed it up and never push a retry beyond the next step of the schedule.

A postback is turned off after 10 failed deliveries in a row within 72 h (the Everflow partner norm).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

RETRY_SCHEDULE_SECONDS = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_AUTOMATIC_ATTEMPTS = len(RETRY_SCHEDULE_SECONDS) + 1
JITTER = 0.2
OVERLOAD_PENALTY_SECONDS = 60
RETRY_AFTER_CAP_FACTOR = 2
OVERLOAD_STATUSES = (429,)

DISABLE_AFTER_FAILURES = 10
FAILURE_WINDOW = timedelta(hours=72)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is True, and headers arrive as latin-1
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def retry_delay(failed_attempts: int, *, overloaded: bool = False, retry_after: float | None = None,
                rng: random.Random | None = None) -> timedelta | None:
    """The wait before the next automatic attempt after `failed_attempts` failures; None: give up.

    `overloaded` is a timeout or a 429; `retry_after` the seconds the destination asked for.
    """
    if failed_attempts < 1 or failed_attempts >= MAX_AUTOMATIC_ATTEMPTS:
        return None
    base = RETRY_SCHEDULE_SECONDS[failed_attempts - 1]
    delay = base * (rng or random).uniform(1 - JITTER, 1 + JITTER)
    if overloaded:
        delay = max(delay, OVERLOAD_PENALTY_SECONDS)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP_FACTOR * base))
    return timedelta(seconds=delay)


def continues_streak(first_failure_at: datetime | None, now: datetime) -> bool:
    """Whether a failure now extends the current streak (else it starts a new one)."""
    return first_failure_at is not None and now - first_failure_at <= FAILURE_WINDOW
