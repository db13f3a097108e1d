"""The upstream client against a real HTTP listener: retries, Retry-After, deadline, budget, cache, errors."""

from __future__ import annotations

import logging
import socket
import time

import pytest
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from portal.affiliate.upstream.client import ReferenceCache, Settings, UpstreamClient
from portal.domain.errors import UpstreamRefused, UpstreamUnavailable
from tests.affiliate.upstream.scripted import Answer, Scripted, serve

KEY = "network-key-that-must-never-be-logged"


@pytest.fixture
def upstream():
    scripted = Scripted()
    with serve(scripted) as server:
        scripted.url = server.url
        yield scripted


def make_client(url: str, *, timeout: float = 3.0, retries: int = 2, per_second: int = 1000, budget: bool = False,
                cache: ReferenceCache | None = None) -> UpstreamClient:
    strategy = MovingWindowRateLimiter(MemoryStorage()) if budget else None
    return UpstreamClient(Settings(url, KEY, timeout, retries, per_second), strategy, cache=cache or ReferenceCache())


def test_a_503_then_an_answer_is_retried_and_the_network_key_is_sent(upstream):
    upstream.script(Answer(503), Answer(200, {"ok": 1}))
    assert make_client(upstream.url).post("/v1/networks/reporting/conversions", {"a": 1}) == {"ok": 1}
    assert [s.method for s in upstream.seen] == ["POST", "POST"]
    assert all(s.headers["X-Eflow-Api-Key"] == KEY and s.body == {"a": 1} for s in upstream.seen)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retry_after_is_honoured_before_trying_again(upstream, status):
    upstream.script(Answer(status, headers={"Retry-After": "1"}), Answer(200, {"ok": 2}))
    started = time.monotonic()
    assert make_client(upstream.url).get("/v1/networks/offers/1") == {"ok": 2}
    assert time.monotonic() - started >= 0.9
    assert len(upstream.seen) == 2


def test_a_retry_after_beyond_the_deadline_fails_at_once_with_that_retry_after(upstream):
    upstream.script(Answer(429, headers={"Retry-After": "40"}))
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable) as caught:
        make_client(upstream.url, timeout=2).get("/v1/networks/offers/1")
    assert time.monotonic() - started < 1
    assert caught.value.retry_after == 40 and caught.value.status == 503
    assert len(upstream.seen) == 1


def test_retries_stop_after_the_configured_number(upstream):
    upstream.script(Answer(503))
    with pytest.raises(UpstreamUnavailable):
        make_client(upstream.url, retries=2).get("/v1/networks/offers/1")
    assert len(upstream.seen) == 3


def test_a_slow_upstream_is_cut_off_at_the_timeout(upstream):
    upstream.script(Answer(200, {"late": True}, delay=4))
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable) as caught:
        make_client(upstream.url, timeout=1, retries=3).get("/v1/networks/offers/1")
    assert time.monotonic() - started < 1.8
    assert caught.value.retry_after >= 1


def test_a_stopped_upstream_is_unavailable_within_the_timeout():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable):
        make_client(f"http://127.0.0.1:{port}", timeout=1.5).get("/v1/networks/offers/1")
    assert time.monotonic() - started < 2.5


def test_not_found_is_none_and_other_refusals_are_502_with_a_clear_message(upstream):
    upstream.script(Answer(404, {"error": "no such conversion"}))
    assert make_client(upstream.url).get("/v1/networks/reporting/conversions/x") is None
    upstream.script(Answer(400, {"error": "Invalid column\x00 value"}))
    with pytest.raises(UpstreamRefused, match="refused the request: Invalid column value") as caught:
        make_client(upstream.url).post("/v1/networks/reporting/entity/table", {})
    assert caught.value.status == 502
    upstream.script(Answer(401, {"error": "No Authentication Method Found"}))
    with pytest.raises(UpstreamRefused, match="network key"):
        make_client(upstream.url).get("/v1/networks/offers/1")
    assert len(upstream.seen) == 1  # a refusal is not retried
    upstream.script(Answer(200, raw=b"<html>maintenance</html>"))
    with pytest.raises(UpstreamRefused, match="cannot read"):
        make_client(upstream.url).get("/v1/networks/offers/1")


def test_the_budget_makes_calls_wait_for_room(upstream):
    upstream.script(Answer(200, {"ok": 1}))
    client = make_client(upstream.url, per_second=2, budget=True)
    started = time.monotonic()
    for _ in range(3):
        client.get("/v1/networks/offers/1")
    assert time.monotonic() - started >= 0.5  # the third waited for the one-second window to move


def test_a_full_budget_past_the_deadline_is_unavailable(upstream):
    upstream.script(Answer(200, {"ok": 1}))
    client = make_client(upstream.url, per_second=1, budget=True, timeout=0.3)
    client.get("/v1/networks/offers/1")
    with pytest.raises(UpstreamUnavailable):
        client.get("/v1/networks/offers/1")
    assert len(upstream.seen) == 1


def test_reference_data_is_cached_and_figures_never_are(upstream):
    upstream.script(Answer(200, {"offers": []}))
    client = make_client(upstream.url)
    client.post("/v1/networks/offers/table", {"paging": {"page": 1}}, cache=True)
    client.post("/v1/networks/offers/table", {"paging": {"page": 1}}, cache=True)
    assert len(upstream.seen) == 1
    client.post("/v1/networks/reporting/entity/table", {"from": "2026-01-01"})
    client.post("/v1/networks/reporting/entity/table", {"from": "2026-01-01"})
    assert len(upstream.seen) == 3


def test_the_cache_is_bounded_and_short_lived():
    cache = ReferenceCache(seconds=0.2, entries=2)
    for key in "abc":
        cache.put(key, key)
    assert cache.get("a") == (False, None) and cache.get("c") == (True, "c")
    time.sleep(0.25)
    assert cache.get("c") == (False, None)


def test_the_network_key_is_never_logged(upstream, caplog):
    caplog.set_level(logging.DEBUG)
    upstream.script(Answer(503))
    client = make_client(upstream.url, retries=1)
    with pytest.raises(UpstreamUnavailable):
        client.get("/v1/networks/offers/1")
    upstream.script(Answer(403, {"error": "Out of realm"}))
    with pytest.raises(UpstreamRefused):
        client.get("/v1/networks/offers/1")
    assert caplog.records and KEY not in caplog.text
    assert KEY not in repr(client.settings)


def test_two_upstreams_never_share_cached_reference_data(upstream):
    other = Scripted()
    cache = ReferenceCache()
    upstream.script(Answer(200, {"offers": ["first"]}))
    other.script(Answer(200, {"offers": ["second"]}))
    with serve(other) as server:
        first = make_client(upstream.url, cache=cache).post("/v1/networks/offers/table", {}, cache=True)
        second = make_client(server.url, cache=cache).post("/v1/networks/offers/table", {}, cache=True)
    assert (first, second) == ({"offers": ["first"]}, {"offers": ["second"]})
