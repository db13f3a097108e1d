"""The upstream's budget (PORTAL_UPSTREAM_REQUESTS_PER_SECOND) is one budget for every process when Redis is
configured, and one per process without it.

Four real portal processes (gunicorn, one worker of several threads each) run in upstream mode against one
real listener playing the upstream, which records when each request arrives: two share Redis, two keep their
budget in memory (the control, which shows the check can fail). Partners' scripts ask all four for a
conversion (`GET reporting/conversions/{id}`: never cached, one upstream call each) as fast as they can, the
four at once (the processes start in about the time two pairs would one after the other, and the asking is
mostly waiting). Through Redis the upstream never sees more than the budget in a window, though both processes
get calls through; the calls the budget cannot fit before their deadline are 503 with Retry-After, never 500.
Without Redis the same check fails: each process spends a budget of its own.

What the moving window promises (portal.http.ratelimit, SPEND_SCRIPT): at most BUDGET spends in any window
of one second, no burst beyond that (a burst of BUDGET at once is its whole allowance). The listener sees
arrivals, which follow each spend after a delay that varies (the portal sending, the listener's thread
starting); so the check counts arrivals in windows of one second less that variation, which the BUDGET
spends in any second cannot exceed, however they drift.
"""

from __future__ import annotations

import math
import os
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest

from tests import conftest as suite
from tests.affiliate.upstream.conftest import AFFILIATE
from tests.affiliate.upstream.live import portal_env, serving
from tests.affiliate.upstream.scripted import Answer

BUDGET = 5  # PORTAL_UPSTREAM_REQUESTS_PER_SECOND
DEADLINE = 2  # PORTAL_UPSTREAM_TIMEOUT: a call waits at most this for the budget
FIRING = 2.5  # seconds the partners' scripts keep asking
SCRIPTS_PER_PORTAL = 4  # concurrent callers on each portal, as many as its threads
DRIFT = 0.45  # seconds an arrival may lag its spend, beyond another's lag (a loaded 2-core machine)
WINDOW = 1.0 - DRIFT
CONVERSIONS = "/v1/networks/reporting/conversions/"
SHARED, OWN = "ab", "cd"  # the processes spending one budget in Redis; those spending one each in memory


@pytest.fixture
def redis_url():
    """Database 7 of the suite's Redis; skipped where there is none, except in CI, where that is a failure."""
    import redis

    url = urlsplit(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))._replace(path="/7").geturl()
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {url}; CI must provide it")
        pytest.skip(f"Redis is not reachable at {url} (required in CI)")
    finally:
        client.close()
    return url


@pytest.fixture
def key_prefix(redis_url):
    """A key prefix no other run shares, empty at the start; every key under it is deleted afterwards."""
    import redis

    prefix = f"portal-test-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)

    def clear() -> None:
        stale = list(client.scan_iter(match=f"*{prefix}*"))
        if stale:
            client.delete(*stale)

    clear()
    yield prefix
    clear()
    client.close()


def conversion(conversion_id: str) -> dict:
    return {"conversion_id": conversion_id, "network_affiliate_id": AFFILIATE, "network_offer_id": 3,
            "conversion_unix_timestamp": 1794182400, "status": "approved", "payout": 12.5, "payout_type": "cpa",
            "relationship": {"offer": {"network_offer_id": 3, "name": "Shoes"}}}


def portals(upstream, tmp_path, redis_url: str, key_prefix: str):
    """Four gunicorn processes in upstream mode on the suite's database, with the budget; each is asked for the
    conversion of its own name, so that the listener knows which process each call came from."""
    for name in SHARED + OWN:
        upstream.route("GET", CONVERSIONS + name, Answer(200, conversion(name)))
    env = portal_env(DATABASE_URL=suite.database_url(), PORTAL_INSTANCE_PATH=str(tmp_path),
                     PORTAL_UPSTREAM_URL=upstream.url, PORTAL_UPSTREAM_API_KEY="network-key",
                     PORTAL_UPSTREAM_TIMEOUT=str(DEADLINE), PORTAL_UPSTREAM_RETRIES="0",
                     PORTAL_UPSTREAM_REQUESTS_PER_SECOND=str(BUDGET))
    shared = dict(env, PORTAL_REDIS_URL=redis_url, PORTAL_RATELIMIT_KEY_PREFIX=key_prefix)
    return serving(shared, shared, env, env, workers=1, threads=SCRIPTS_PER_PORTAL)


def fire(portals: dict, key: str) -> list[tuple[str, int, dict]]:
    """Every portal asked by SCRIPTS_PER_PORTAL scripts at once, each asking again as soon as it is answered,
    for FIRING seconds: (portal, status, headers) of every answer."""
    answers: list[tuple[str, int, dict]] = []
    lock = threading.Lock()
    stop = time.monotonic() + FIRING

    def script(name: str, portal) -> None:
        while time.monotonic() < stop:
            status, _, headers = portal.call("GET", f"/v1/affiliates/reporting/conversions/{name}", key)
            with lock:
                answers.append((name, status, headers))

    threads = [threading.Thread(target=script, args=(name, portal))
               for name, portal in portals.items() for _ in range(SCRIPTS_PER_PORTAL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=FIRING + DEADLINE + 30)
    assert not any(thread.is_alive() for thread in threads), "a script never got its answer"
    return answers


def busiest(times: list[float], width: float) -> int:
    """The most arrivals in any window [t, t + width)."""
    times, most, first = sorted(times), 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= width:
            first += 1
        most = max(most, last - first + 1)
    return most


def arrivals(upstream) -> dict[str, list[float]]:
    """When the upstream received each portal's calls."""
    found: dict[str, list[float]] = {name: [] for name in SHARED + OWN}
    for seen in list(upstream.seen):
        if seen.path.startswith(CONVERSIONS):
            found[seen.path.removeprefix(CONVERSIONS)].append(seen.at)
    return found


def offsets(times: list[float]) -> list[float]:
    """Arrivals in seconds from the first, for a failure's message."""
    return [round(at - min(times), 3) for at in sorted(times)]


@pytest.mark.redis
def test_processes_spend_one_upstream_budget_through_redis_and_one_each_without(upstream, linked, tmp_path,
                                                                                 redis_url, key_prefix):
    _, key = linked
    with portals(upstream, tmp_path, redis_url, key_prefix) as running:
        answers = fire(dict(zip(SHARED + OWN, running)), key)

    # Every answer is the conversion or a 503 with Retry-After (whole seconds, at least 1); never a 500.
    assert {status for _, status, _ in answers} <= {200, 503}, sorted({status for _, status, _ in answers})
    for _, status, headers in answers:
        if status == 503:
            assert headers.get("Retry-After", "").isdigit() and int(headers["Retry-After"]) >= 1, headers
    seen = arrivals(upstream)
    for name in SHARED + OWN:  # each process got calls through: a budget was shared, not taken by one
        assert seen[name], f"portal {name} never reached the upstream"
        assert any(status == 200 for portal, status, _ in answers if portal == name), name

    shared = seen["a"] + seen["b"]
    assert busiest(shared, WINDOW) <= BUDGET, offsets(shared)
    # Over the whole run: BUDGET for each second it lasted and one more, where two budgets would give twice that.
    span = max(shared) - min(shared)
    assert len(shared) <= BUDGET * (math.floor(span + DRIFT) + 1), (len(shared), offsets(shared))
    assert len(shared) >= 2 * BUDGET, offsets(shared)  # spent again after its first second, not stuck

    # The control: the same check fails when each process keeps its budget in memory.
    own = seen["c"] + seen["d"]
    assert busiest(own, WINDOW) > BUDGET, offsets(own)
