"""The suite's hypothesis profile: properties never fail on a slow machine for taking long."""

from hypothesis import given, settings
from hypothesis import strategies as st


def test_no_property_has_a_deadline():
    assert settings().deadline is None


@given(st.integers())
def test_a_property_without_its_own_settings_runs_under_the_profile(n):
    assert settings().deadline is None
