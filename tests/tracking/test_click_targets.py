"""The tracker's per-process cache: entries live for the TTL; an expired one is reloaded by one request
while concurrent ones answer with what was known (no stampede on the pool); a failed reload leaves the next
request to try again. And the serving process is made ready: what the first click loads is loaded, and the
objects made so far are out of the garbage collector's sight."""

from __future__ import annotations

import gc
import threading

import pytest

from portal import ready_to_serve
from portal.services.click_targets import TargetCache
from portal.tracking import geoip
from tests.tracking.test_traffic_writer import until


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def cache_with_clock(ttl: float = 5) -> tuple[TargetCache, Clock]:
    cache, clock = TargetCache(ttl), Clock()
    cache.clock = clock
    return cache, clock


def test_an_entry_is_loaded_once_per_ttl():
    cache, clock = cache_with_clock()
    loads = []
    load = lambda: loads.append(1) or len(loads)  # noqa: E731
    assert [cache._cached(("k",), load) for _ in range(3)] == [1, 1, 1]
    clock.now += 5.1
    assert cache._cached(("k",), load) == 2


def test_while_one_request_reloads_an_expired_entry_the_others_answer_with_the_old_value():
    cache, clock = cache_with_clock()
    cache._cached(("k",), lambda: "old")
    clock.now += 6
    reloading, release, answers = threading.Event(), threading.Event(), []

    def slow_load():
        reloading.set()
        release.wait(10)
        return "new"

    reloader = threading.Thread(target=lambda: answers.append(cache._cached(("k",), slow_load)))
    reloader.start()
    assert reloading.wait(10)
    others = [cache._cached(("k",), lambda: pytest.fail("a second reload")) for _ in range(5)]
    release.set()
    reloader.join()
    assert others == ["old"] * 5 and answers == ["new"]
    assert cache._cached(("k",), lambda: pytest.fail("reloaded again")) == "new"


def test_a_failed_reload_lets_the_next_request_try_again():
    cache, clock = cache_with_clock()
    cache._cached(("k",), lambda: "old")
    clock.now += 6

    def failing():
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        cache._cached(("k",), failing)
    assert cache._cached(("k",), lambda: "new") == "new"


def test_ready_to_serve_loads_the_geoip_reader_and_freezes_the_heap(app):
    try:
        assert ready_to_serve(app) is app
        assert "" in geoip._readers  # the bundled database, opened before the first click needs it
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_an_entry_used_near_its_expiry_is_reloaded_in_the_background(app):
    cache, clock = cache_with_clock()
    cache._cached(("k",), lambda: "old")
    clock.now += 4.5  # the last fifth of its five seconds
    reloaded = threading.Event()

    def load():
        reloaded.set()
        return "new"

    assert cache._cached(("k",), load) == "old"  # this request does not wait for the reload
    assert reloaded.wait(10)
    until(lambda: cache._cached(("k",), lambda: pytest.fail("reloaded by a request")) == "new")
    assert cache._cached(("k",), lambda: pytest.fail("reloaded by a request")) == "new"
    clock.now += 4.9  # the background reload counted its five seconds from when it finished
    assert cache._cached(("k",), lambda: "newer") == "new"


def test_a_failed_background_reload_leaves_the_entry_and_is_logged(app, caplog):
    cache, clock = cache_with_clock()
    cache._cached(("offer", 1), lambda: "old")
    clock.now += 4.5
    failed = threading.Event()

    def failing():
        failed.set()
        raise RuntimeError("database down")

    assert cache._cached(("offer", 1), failing) == "old"
    assert failed.wait(10)
    until(lambda: ("offer", 1) not in cache._reloading)
    assert "could not refresh offer" in caplog.text
    retried = threading.Event()
    assert cache._cached(("offer", 1), lambda: retried.set() or "new") == "old"  # tried again, in the background
    assert retried.wait(10)
    until(lambda: ("offer", 1) not in cache._reloading)
    clock.now += 1  # past the first expiry, within the retried entry's
    assert cache._cached(("offer", 1), lambda: pytest.fail("reloaded by a request")) == "new"
