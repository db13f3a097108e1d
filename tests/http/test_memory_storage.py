"""The in-process store: several windows spent together or not at all, and windows that hold nothing dropped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.http import memory_storage
from portal.http.memory_storage import InProcessStorage


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(memory_storage, "time", fake)
    return fake


def test_budgets_are_spent_together_or_not_at_all(clock):
    store = InProcessStorage()
    network, partner = ("network", 5, 60), ("partner", 2, 60)
    results = [store.spend_all(None, [network, partner])[0] for _ in range(4)]
    assert results == [True, True, False, False]
    assert store.get_moving_window("network", 5, 60) == (clock.now, 2)  # the refusals spent nothing
    spent, _, windows = store.spend_all(None, [network, ("other", 9, 60)])
    assert spent and windows == [(clock.now, 3), (clock.now, 1)]


def test_a_full_guard_spends_nothing_and_says_which_entry_must_leave(clock):
    store = InProcessStorage()
    for _ in range(3):
        clock.now += 1
        store.acquire_entry("failures", 2, 60)  # the third finds the window full and is not kept
    spent, blocker, windows = store.spend_all(("failures", 2, 60), [("budget", 5, 60)])
    assert not spent and blocker == clock.now - 2 and windows == [(clock.now, 0)]  # the older of the two


def test_windows_that_hold_nothing_are_swept(clock, monkeypatch):
    monkeypatch.setattr(memory_storage, "SWEEP_EVERY", 10)
    store = InProcessStorage()
    for n in range(9):
        store.acquire_entry(f"address-{n}", 10, 60)
    assert store.held() == 9
    clock.now += 61
    store.acquire_entry("fresh", 10, 60)  # the tenth write sweeps
    assert store.held() == 1


@given(st.lists(st.tuples(st.integers(0, 2), st.floats(0, 3)), max_size=60), st.integers(1, 4), st.integers(1, 4))
def test_spending_matches_a_plain_model(steps, network_limit, share_limit):
    """Against a list of times per window: a request is spent when both windows of the last 2 s have room."""
    fake = FakeTime()
    memory_storage.time, real = fake, memory_storage.time
    try:
        store, spent_at = InProcessStorage(), {"network": [], 0: [], 1: [], 2: []}
        for partner, gap in steps:
            fake.now += gap
            live = {name: [t for t in times if t >= fake.now - 2] for name, times in spent_at.items()}
            expected = len(live["network"]) < network_limit and len(live[partner]) < share_limit
            spent, _, _ = store.spend_all(None, [("network", network_limit, 2), (f"p{partner}", share_limit, 2)])
            assert spent == expected
            if spent:
                spent_at["network"].append(fake.now)
                spent_at[partner].append(fake.now)
    finally:
        memory_storage.time = real
