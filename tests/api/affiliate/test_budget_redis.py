"""With Redis configured: two separate server processes spend one budget (20 requests across both, then
429); a partner's share holds there too; failed authentication counted in one process blocks the address
in another; and each request still spends and reads its budgets in one round trip."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests import conftest as suite

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[3]
# TEST_REDIS_URL: another server for a second suite running beside this one (.ci/run): these tests flush
# the server's scripts, which are global to it.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_client():
    """Skipped where there is no Redis, except in CI, where a missing Redis is a failure."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}; CI must provide it")
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (required when CI=true)")
    yield client
    client.close()


@pytest.fixture
def key_prefix(redis_client):
    """A prefix no other run shares; every key under it is deleted afterwards."""
    prefix = f"portal-test-{uuid.uuid4().hex}"
    yield prefix
    stale = list(redis_client.scan_iter(match=f"*{prefix}*"))
    if stale:
        redis_client.delete(*stale)
    assert not list(redis_client.scan_iter(match=f"*{prefix}*"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, key: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"X-Eflow-API-Key": key})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


@pytest.fixture
def two_servers(key_prefix, app):
    """Two gunicorn processes on the test database, sharing Redis under this run's prefix. They stop
    before the test database is cleaned (this fixture needs `app`, so it is torn down first)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}
    env.update({
        "PORTAL_ENV": "test",
        "PORTAL_SECRET_KEY": "test-secret-key",
        "PORTAL_KEY_ENCRYPTION_KEY": suite._KEY_ENCRYPTION_KEY,  # the same keys hash the same way
        "DATABASE_URL": suite.database_url(),
        "PORTAL_REDIS_URL": REDIS_URL,
        "PORTAL_RATELIMIT_KEY_PREFIX": key_prefix,
        "PORTAL_API_USAGE_FLUSH_SECONDS": "3600",  # keep these processes from writing usage under the tests
        # A burst of 20 over a 20-second window: the test's 20 requests never race the window on a busy machine.
        "PORTAL_API_RATE_PER_SECOND": "1",
        "PORTAL_API_RATE_BURST": "20",
    })
    gunicorn = Path(sys.executable).with_name("gunicorn")
    servers, ports = [], []
    try:
        for _ in range(2):
            port = _free_port()
            servers.append(subprocess.Popen(
                [str(gunicorn), "--workers", "1", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
            ports.append(port)
        for server, port in zip(servers, ports):
            _wait_until_healthy(server, port)
        yield ports
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=15)
            if server.stderr:
                server.stderr.close()


def _wait_until_healthy(server: subprocess.Popen, port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"a server exited early: {server.stderr.read().decode(errors='replace')[-2000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    pytest.fail("a server did not answer /healthz in time")


def test_two_processes_share_one_budget_through_redis(two_servers, make, issue, redis_client, key_prefix):
    first, second = two_servers
    keys = [issue(make.partner()), issue(make.partner())]
    started = time.monotonic()
    for n in range(20):
        response = _get((first, second)[n % 2], "/v1/affiliates/affiliate", keys[n % 2])
        assert response.status == 200, n
        # The binding budget: the network's (19 - n left) or this partner's share of 10 (9 - n // 2 left).
        assert response.getheader("X-RateLimit-Remaining") == str(min(19 - n, 9 - n // 2))
    assert time.monotonic() - started < 20, "too slow to stay inside one 20-second window"
    for port in (first, second):
        refused = _get(port, "/v1/meta/timezones", keys[0])
        assert refused.status == 429
        assert refused.getheader("Retry-After").isdigit() and int(refused.getheader("Retry-After")) >= 1
    assert any(key_prefix in name.decode() for name in redis_client.scan_iter(match=f"*{key_prefix}*"))


@pytest.fixture
def redis_sends(monkeypatch):
    """How many times the app wrote to Redis: one write is one round trip (a pipeline is one write)."""
    from redis.connection import AbstractConnection

    sends = []
    real_send = AbstractConnection.send_packed_command

    def counting_send(self, command, check_health=True):
        sends.append(command)
        return real_send(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting_send)
    return sends


def test_each_request_spends_and_reads_the_budget_in_one_round_trip(make_app, make, issue, redis_client,
                                                                     key_prefix, redis_sends):
    key = issue(make.partner())
    app = make_app(REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=key_prefix, API_RATE_PER_SECOND=1, API_RATE_BURST=20)
    client = app.test_client()
    client.get("/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": key})  # the first loads the scripts
    for n in range(2, 6):
        redis_sends.clear()
        response = client.get("/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": key})
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Remaining"] == str(10 - n)  # the partner's share of 20
        assert len(redis_sends) == 1


def test_the_budget_still_counts_one_unit_after_redis_forgets_its_scripts(make_app, make, issue, redis_client,
                                                                          key_prefix, redis_sends):
    """A Redis restart or SCRIPT FLUSH drops the scripts the single round trip calls by hash: that request
    falls back to the separate calls, which load them again, and still spends exactly one unit."""
    key = issue(make.partner())
    app = make_app(REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=key_prefix, API_RATE_PER_SECOND=1, API_RATE_BURST=3,
                   API_PARTNER_SHARE=1)
    client = app.test_client()
    remaining = []
    for n in range(5):
        if n == 1:
            redis_client.script_flush()
        response = client.get("/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": key})
        remaining.append((response.status_code, response.headers["X-RateLimit-Remaining"]))
    assert remaining == [(200, "2"), (200, "1"), (200, "0"), (429, "0"), (429, "0")]
    redis_sends.clear()
    client.get("/v1/meta/timezones", headers={"X-Eflow-API-Key": key})
    assert len(redis_sends) == 1  # the scripts are back: one round trip again


def test_limits_still_has_the_redis_internals_the_budget_drives(make_app, redis_client, key_prefix):
    """portal.http.ratelimit's script calls RedisStorage internals and writes limits' moving-window layout.
    An upgrade of `limits` that renames them or changes the layout must fail here, not degrade in production."""
    from limits import parse
    from limits.storage import RedisStorage
    from limits.strategies import MovingWindowRateLimiter

    from portal.extensions import limiter
    from portal.http import ratelimit
    from portal.http.ratelimit import Budget

    app = make_app(REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=key_prefix)
    with app.app_context():
        strategy = limiter.limiter
        assert isinstance(strategy, MovingWindowRateLimiter)
        assert type(strategy.storage) is RedisStorage
        missing = [name for name in ratelimit.REDIS_STORAGE_INTERNALS if not hasattr(strategy.storage, name)]
        assert missing == [], f"limits changed its RedisStorage internals: {missing}"
        assert ratelimit.single_round_trip(strategy)
        # Spend 3 of 3, then a refusal; limits' own public reading of the window agrees with the script's.
        wide = Budget(parse("3/minute"), (key_prefix, "internals"))
        results = [ratelimit.spend(strategy, [wide]) for _ in range(4)]
        assert [outcome.spent for outcome in results] == [True, True, True, False]
        assert [outcome.binding.remaining for outcome in results] == [2, 1, 0, 0]
        public = strategy.get_window_stats(wide.item, *wide.args)
        assert public.remaining == 0 and not strategy.test(wide.item, *wide.args)
        assert 59 <= results[-1].binding.reset <= 60
        assert abs(public.reset_time - time.time() - results[-1].binding.reset) < 2
        # And the other way round: what limits' own hit wrote, the script counts.
        narrow = Budget(parse("2/minute"), (key_prefix, "internals-hit"))
        assert strategy.hit(narrow.item, *narrow.args)
        assert ratelimit.spend(strategy, [narrow]).binding.remaining == 0


def test_two_budgets_are_spent_together_or_not_at_all_in_redis(make_app, redis_client, key_prefix):
    from limits import parse

    from portal.extensions import limiter
    from portal.http import ratelimit
    from portal.http.ratelimit import Budget

    app = make_app(REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=key_prefix)
    with app.app_context():
        strategy = limiter.limiter
        network = Budget(parse("5/minute"), (key_prefix, "network"))
        first, second = (Budget(parse("3/minute"), (key_prefix, f"partner-{n}")) for n in (1, 2))
        assert [ratelimit.spend(strategy, [network, first]).spent for _ in range(5)] == [True] * 3 + [False] * 2
        assert strategy.get_window_stats(network.item, *network.args).remaining == 2  # the refusals spent nothing
        assert [ratelimit.spend(strategy, [network, second]).spent for _ in range(3)] == [True, True, False]
        assert strategy.get_window_stats(second.item, *second.args).remaining == 1  # nor did the network's
        guard = Budget(parse("1/minute"), (key_prefix, "failures"))
        strategy.hit(guard.item, *guard.args)
        throttled = ratelimit.spend(strategy, [Budget(parse("9/minute"), (key_prefix, "fresh"))], guard=guard)
        assert not throttled.spent and 59 <= throttled.throttled_for <= 60


def test_one_partners_burst_leaves_room_for_another_in_redis(make_app, make, issue, redis_client, key_prefix):
    greedy, other = issue(make.partner()), issue(make.partner())
    app = make_app(REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=key_prefix, API_RATE_PER_SECOND=1, API_RATE_BURST=20)
    client = app.test_client()
    statuses = [client.get("/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": greedy}).status_code
                for _ in range(15)]
    assert statuses == [200] * 10 + [429] * 5
    served = client.get("/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": other})
    assert served.status_code == 200
    assert served.headers["X-RateLimit-Remaining"] == "9"  # the network has 9 left, its share 9: nothing else spent


def test_an_address_blocked_through_one_process_is_refused_by_another(make_app, make, issue, redis_client,
                                                                      key_prefix, redis_sends):
    """Two apps on one Redis stand for two processes: the second has no mark of its own, and still refuses
    the blocked address (read in the same round trip that would spend the budget), then marks it."""
    key = issue(make.partner())
    settings = dict(REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=key_prefix, API_AUTH_FAILURES=3)
    first = make_app(**settings).test_client()
    address = {"REMOTE_ADDR": "203.0.113.9"}
    for _ in range(3):
        assert first.get("/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": key + "x"},
                         environ_base=address).status_code == 401
    second = make_app(**settings).test_client()
    refused = second.get("/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": key}, environ_base=address)
    assert refused.status_code == 429 and "failed authentication" in refused.json["error"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    redis_sends.clear()
    again = second.get("/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": key + "x"}, environ_base=address)
    assert again.status_code == 429
    assert len(redis_sends) == 1  # only the budget headers' reading: the refusal itself asked nothing
    served = second.get("/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": key},
                        environ_base={"REMOTE_ADDR": "203.0.113.10"})
    assert served.status_code == 200
