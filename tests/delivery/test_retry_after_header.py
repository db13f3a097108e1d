"""Retry-After as trackers send it, including bytes that are digits only outside ASCII."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.delivery.schedule import parse_retry_after

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("value, seconds", [("120", 120.0), (" 7 ", 7.0), ("Mon, 30 Nov 2026 12:01:00 GMT", 60.0),
                                            ("²", None), ("٣", None), ("soon", None), ("", None), (None, None)])
def test_retry_after_is_read_or_ignored_never_a_crash(value, seconds):
    assert parse_retry_after(value, NOW) == seconds
