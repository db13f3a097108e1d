"""The Everflow-style Network API's budget: one window for the whole network (every key shares it), its
headers on admitted requests, 429 with Retry-After, and failed keys throttled by address."""

from __future__ import annotations

import pytest

from portal.http.contract import AUTH_THROTTLED
from tests.api.networks.conftest import Caller


@pytest.fixture
def small(make_app, db):
    """An app whose network may make 3 requests in 3 seconds, and 3 failed keys per address a minute."""
    app = make_app(EFLOW_NETWORK_API_RATE_PER_SECOND=1, EFLOW_NETWORK_API_RATE_BURST=3, API_AUTH_FAILURES=3)
    with app.app_context():
        yield app.test_client()


def test_every_key_shares_the_networks_budget_with_its_headers(small, clock):
    first, second = Caller(small), Caller(small)
    for n in range(3):
        response = (first if n % 2 else second)("GET", "/v1/networks")
        assert response.status_code == 200
        assert (response.headers["X-RateLimit-Limit"], response.headers["X-RateLimit-Remaining"]) == ("3", str(2 - n))
    clock.now += 1.2
    refused = second("GET", "/v1/networks")
    assert refused.status_code == 429 and refused.json == {"error": "Rate limit exceeded"}
    assert refused.headers["Retry-After"] == refused.headers["X-RateLimit-Reset"] == "2"
    assert first("GET", "/v1/networks").status_code == 429  # one bucket for the network, as Everflow's
    clock.now += 2
    assert first("GET", "/v1/networks").status_code == 200


def test_refusals_before_authentication_spend_nothing_and_carry_no_headers(small):
    caller = Caller(small)
    for _ in range(5):
        missing = small.get("/v1/networks")
        assert missing.status_code == 401 and "X-RateLimit-Limit" not in missing.headers
    assert caller("GET", "/v1/networks").headers["X-RateLimit-Remaining"] == "2"


def test_the_default_budget_is_60_in_2_seconds(client, db):
    response = Caller(client)("GET", "/v1/networks")
    assert (response.headers["X-RateLimit-Limit"], response.headers["X-RateLimit-Remaining"]) == ("60", "59")


def test_failed_keys_are_throttled_by_address(small):
    bad = {"X-Eflow-API-Key": "efn_live_" + "x" * 49}
    for _ in range(3):
        assert small.get("/v1/networks", headers=bad).status_code == 401
    blocked = small.get("/v1/networks", headers=bad)
    assert blocked.status_code == 429 and blocked.json == {"error": AUTH_THROTTLED}
    assert int(blocked.headers["Retry-After"]) >= 1
    # …whatever the address presents now, the answer no longer tells a good key from a bad one
    assert Caller(small)("GET", "/v1/networks").status_code == 429
