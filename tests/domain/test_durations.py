"""Durations are said in friendly units, always rounded up: never promise less time than is left."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain.durations import friendly_duration


@pytest.mark.parametrize(("seconds", "said"), [
    (0.2, "1 second"), (1, "1 second"), (30, "30 seconds"), (59.5, "1 minute"), (60, "1 minute"),
    (61, "2 minutes"), (900, "15 minutes"), (899.1, "15 minutes"), (3540, "59 minutes"), (3541, "1 hour"),
    (3600, "1 hour"), (3601, "2 hours"), (86400, "24 hours"),
])
def test_durations_in_friendly_units(seconds, said):
    assert friendly_duration(seconds) == said


@given(st.floats(min_value=0.001, max_value=10**7))
def test_the_said_duration_is_never_shorter_than_the_real_one(seconds):
    count, unit = friendly_duration(seconds).split()
    size = {"second": 1, "minute": 60, "hour": 3600}[unit.rstrip("s")]
    assert int(count) * size >= seconds
