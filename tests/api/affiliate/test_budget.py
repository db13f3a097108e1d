"""One network-wide budget (5/s sustained, bursts of 20), spent only by admitted requests, with its headers."""

from __future__ import annotations

import time

import pytest

from portal.http import memory_storage
from portal.config import ConfigError, from_environment
from portal.services.keys import find_by_secret, set_allowlist

ACCOUNT = "/v1/affiliates/affiliate"


class FakeTime:
    def __init__(self) -> None:
        self.now = time.time()  # starts at the real time: Flask-Limiter measures Retry-After from it

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """The in-process budget store's clock, under the test's control."""
    fake = FakeTime()
    monkeypatch.setattr(memory_storage, "time", fake)
    return fake


def test_a_burst_of_20_passes_and_the_21st_is_refused_with_retry_after(api, make, issue, clock):
    key = issue(make.partner())
    for n in range(20):
        response = api.get(ACCOUNT, key=key)
        assert response.status_code == 200, n
        assert response.headers["X-RateLimit-Limit"] == "20"
        assert response.headers["X-RateLimit-Remaining"] == str(19 - n)
    refused = api.get(ACCOUNT, key=key)
    assert refused.status_code == 429 and refused.json == {"error": "Rate limit exceeded"}
    assert refused.headers["X-RateLimit-Limit"] == "20" and refused.headers["X-RateLimit-Remaining"] == "0"
    retry_after = refused.headers["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 5


def test_the_budget_refills_at_the_sustained_rate(api, make, issue, clock):
    key = issue(make.partner())
    for _ in range(20):
        assert api.get(ACCOUNT, key=key).status_code == 200
        clock.now += 0.2  # 5 requests a second, for four seconds
    # The first request of the window has just aged out, so exactly one more fits now.
    assert api.get(ACCOUNT, key=key).status_code == 200
    assert api.get(ACCOUNT, key=key).status_code == 429
    clock.now += 0.2
    assert api.get(ACCOUNT, key=key).status_code == 200
    clock.now += 10
    assert api.get(ACCOUNT, key=key).headers["X-RateLimit-Remaining"] == "19"


def test_one_budget_is_shared_by_every_partner_key_and_endpoint(api, make, issue, clock):
    keys = [issue(make.partner()) for _ in range(3)] + [issue(make.partner(), "Second integration")]
    routes = ("/v1/affiliates/affiliate", "/v1/affiliates/network", "/v1/meta/timezones")
    for n in range(20):
        assert api.get(routes[n % 3], key=keys[n % 4]).status_code == 200
    for key in keys:
        assert api.get(routes[0], key=key).status_code == 429


def test_requests_that_are_not_admitted_spend_nothing(api, make, issue, clock):
    partner = make.partner()
    key, fenced, revoked = issue(partner), issue(partner, "Fenced"), issue(partner, "Revoked")
    set_allowlist(find_by_secret(fenced), "203.0.113.0/24", make.staff())
    from portal.services.keys import revoke_key
    revoke_key(find_by_secret(revoked))
    for _ in range(30):
        assert api.get(ACCOUNT).status_code == 401
        assert api.get(ACCOUNT, key="afk_live_" + "x" * 49).status_code == 401
        assert api.get(ACCOUNT, key=revoked).status_code == 401
        assert api.get(ACCOUNT, key=fenced).status_code == 403
        assert api.get(f"{ACCOUNT}?api_key={key}", key=key).status_code == 401
        assert api.get("/v1/no-such-endpoint", key=key).status_code == 404
    for n in range(20):
        assert api.get(ACCOUNT, key=key).status_code == 200, n


def test_every_api_response_carries_the_budget_headers(api, make, issue, clock):
    key = issue(make.partner())
    api.get(ACCOUNT, key=key)
    for response in (api.get(ACCOUNT), api.get(ACCOUNT, key=key + "x"), api.get("/v1/nope"),
                     api.client.post(ACCOUNT), api.get("/v1/meta/timezones", key=key)):
        assert response.headers["X-RateLimit-Limit"] == "20"
        assert response.headers["X-RateLimit-Remaining"].isdigit()
    assert api.get(ACCOUNT).headers["X-RateLimit-Remaining"] == "18"  # two admitted so far


def test_pages_outside_the_api_carry_no_budget_headers(client):
    assert "X-RateLimit-Limit" not in client.get("/healthz").headers
    assert "X-RateLimit-Limit" not in client.get("/login").headers


def test_the_budget_is_configurable(make_app, make, issue, clock):
    key = issue(make.partner())
    client = make_app(API_RATE_PER_SECOND=2, API_RATE_BURST=6).test_client()
    statuses = [client.get(ACCOUNT, headers={"X-Eflow-API-Key": key}).status_code for _ in range(7)]
    assert statuses == [200] * 6 + [429]


@pytest.mark.parametrize(("rate", "burst"), [(5, 22), (5, 4), (3, 10), (0, 20), (-1, 5)])
def test_a_burst_that_is_not_a_whole_multiple_of_the_rate_stops_start_up(make_app, rate, burst):
    with pytest.raises(ConfigError, match="PORTAL_API_RATE_"):
        make_app(API_RATE_PER_SECOND=rate, API_RATE_BURST=burst)


def test_the_burst_error_names_both_settings(make_app):
    with pytest.raises(ConfigError) as err:
        make_app(API_RATE_PER_SECOND=5, API_RATE_BURST=22)
    assert "PORTAL_API_RATE_BURST" in str(err.value) and "PORTAL_API_RATE_PER_SECOND" in str(err.value)


@pytest.mark.parametrize(("rate", "burst", "limit"), [(5, 20, "20 per 4 second"), (30, 60, "60 per 2 second"),
                                                      (10, 10, "10 per 1 second")])
def test_rate_and_burst_become_one_moving_window(make_app, rate, burst, limit):
    app = make_app(API_RATE_PER_SECOND=rate, API_RATE_BURST=burst)
    assert app.config["API_RATE_LIMIT"] == limit and app.config["RATELIMIT_STRATEGY"] == "moving-window"


def test_redis_is_used_when_configured_and_process_memory_otherwise(make_app):
    assert make_app().config["RATELIMIT_STORAGE_URI"] == "portal-memory://"
    assert make_app(REDIS_URL="redis://cache:6379/2").config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/2"
    with pytest.raises(ConfigError, match="PORTAL_REDIS_URL"):
        make_app(REDIS_URL="http://cache:6379")


@pytest.mark.parametrize("name", ["PORTAL_API_RATE_PER_SECOND", "PORTAL_API_RATE_BURST",
                                  "PORTAL_API_USAGE_FLUSH_SECONDS"])
def test_budget_settings_from_the_environment_are_whole_numbers(name):
    assert list(from_environment({name: " 12 "}).values()) == [12]
    with pytest.raises(ConfigError, match=name):
        from_environment({name: "5/s"})
