"""The network's budget (5/s sustained, bursts of 20) and each partner's share of it (half by default), spent
together or not at all, only by admitted requests, with their headers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.api.affiliate import budget
from portal.config import DEFAULTS, ConfigError, finalise, from_environment
from portal.extensions import limiter
from portal.http import ratelimit
from portal.services.keys import find_by_secret, revoke_key, set_allowlist
from tests.conftest import base_config

ACCOUNT = "/v1/affiliates/affiliate"


def test_one_partner_alone_gets_its_share_and_then_429_with_retry_after(api, make, issue, clock):
    key = issue(make.partner())
    for n in range(10):
        response = api.get(ACCOUNT, key=key)
        assert response.status_code == 200, n
        assert response.headers["X-RateLimit-Limit"] == "10"  # the partner's share binds, not the network's 20
        assert response.headers["X-RateLimit-Remaining"] == str(9 - n)
        assert response.headers["X-RateLimit-Reset"] == "4"  # the first request leaves the window in 4 s
    clock.now += 1.5
    refused = api.get(ACCOUNT, key=key)
    assert refused.status_code == 429 and refused.json == {"error": "Rate limit exceeded"}
    assert refused.headers["X-RateLimit-Limit"] == "10" and refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["Retry-After"] == refused.headers["X-RateLimit-Reset"] == "3"  # ceil(2.5)


def test_after_one_partners_burst_is_refused_another_partner_is_still_served(api, make, issue, clock):
    greedy, other, third = (issue(make.partner()) for _ in range(3))
    statuses = [api.get(ACCOUNT, key=greedy).status_code for _ in range(50)]
    assert statuses == [200] * 10 + [429] * 40
    for n in range(10):
        response = api.get(ACCOUNT, key=other)
        assert response.status_code == 200, n
    # The 40 refusals spent nothing of the network's budget: exactly the two shares fill it.
    full = api.get(ACCOUNT, key=third)
    assert full.status_code == 429 and full.json == {"error": "Rate limit exceeded"}
    assert full.headers["X-RateLimit-Limit"] == "20" and full.headers["X-RateLimit-Remaining"] == "0"


def test_a_refusal_by_the_network_budget_costs_the_partner_nothing(app, api, make, issue, clock):
    first, second, late = make.partner(), make.partner(), make.partner()
    keys = [issue(first), issue(second)]
    for n in range(20):
        assert api.get(ACCOUNT, key=keys[n % 2]).status_code == 200
    late_key = issue(late)
    assert [api.get(ACCOUNT, key=late_key).status_code for _ in range(5)] == [429] * 5
    network, share = budget.budgets_of(late.id)
    assert limiter.limiter.get_window_stats(share.item, *share.args).remaining == 10
    assert limiter.limiter.get_window_stats(network.item, *network.args).remaining == 0


def test_the_budgets_refill_at_the_sustained_rate(api, make, issue, clock):
    keys, start = [issue(make.partner()), issue(make.partner())], clock.now
    for n in range(20):
        clock.now = start + 0.2 * n  # 5 requests a second, for four seconds
        assert api.get(ACCOUNT, key=keys[n % 2]).status_code == 200
    clock.now = start + 4.01  # the first request has just left the window, the second has not
    assert api.get(ACCOUNT, key=keys[0]).status_code == 200
    assert api.get(ACCOUNT, key=keys[1]).status_code == 429
    clock.now = start + 4.21
    assert api.get(ACCOUNT, key=keys[1]).status_code == 200
    clock.now += 10
    fresh = api.get(ACCOUNT, key=keys[0])
    assert fresh.headers["X-RateLimit-Remaining"] == "9" and fresh.headers["X-RateLimit-Limit"] == "10"


def test_one_network_budget_is_shared_by_every_partner_key_and_endpoint(api, make, issue, clock):
    partners = [make.partner() for _ in range(3)]
    keys = [issue(partner) for partner in partners] + [issue(partners[0], "Second integration")]
    routes = ("/v1/affiliates/affiliate", "/v1/affiliates/network", "/v1/meta/timezones")
    for n in range(20):
        assert api.get(routes[n % 3], key=keys[n % 4]).status_code == 200
    for key in keys:
        assert api.get(routes[0], key=key).status_code == 429


def test_a_partners_keys_share_one_share(api, make, issue, clock):
    partner = make.partner()
    keys = [issue(partner), issue(partner, "Second integration")]
    assert [api.get(ACCOUNT, key=keys[n % 2]).status_code for n in range(11)] == [200] * 10 + [429]


def test_requests_that_are_not_admitted_spend_nothing(api, make, issue, clock):
    partner = make.partner()
    key, fenced, revoked = issue(partner), issue(partner, "Fenced"), issue(partner, "Revoked")
    other = issue(make.partner())
    set_allowlist(find_by_secret(fenced), "203.0.113.0/24", make.staff())
    revoke_key(find_by_secret(revoked))
    for n in range(30):
        ip = f"198.51.100.{n}"  # a few failures per address: the failed-authentication limit is not reached
        assert api.get(ACCOUNT, ip=ip).status_code == 401
        assert api.get(ACCOUNT, key="afk_live_" + "x" * 49, ip=ip).status_code == 401
        assert api.get(ACCOUNT, key=revoked, ip=ip).status_code == 401
        assert api.get(ACCOUNT, key=fenced, ip=ip).status_code == 403
        assert api.get(f"{ACCOUNT}?api_key={key}", key=key, ip=ip).status_code == 401
        assert api.get("/v1/no-such-endpoint", key=key, ip=ip).status_code == 404
    for n in range(20):
        assert api.get(ACCOUNT, key=(key, other)[n % 2]).status_code == 200, n


def test_every_api_response_carries_the_budget_headers(api, make, issue, clock):
    key = issue(make.partner())
    api.get(ACCOUNT, key=key)
    for response in (api.get(ACCOUNT), api.get(ACCOUNT, key=key + "x"), api.get("/v1/nope"),
                     api.client.post(ACCOUNT)):
        assert response.headers["X-RateLimit-Limit"] == "20"  # nothing spent: the network's budget
        assert response.headers["X-RateLimit-Remaining"] == "19"
        assert response.headers["X-RateLimit-Reset"] == "4"
    admitted = api.get("/v1/meta/timezones", key=key)
    assert (admitted.headers["X-RateLimit-Limit"], admitted.headers["X-RateLimit-Remaining"]) == ("10", "8")
    assert api.get(ACCOUNT).headers["X-RateLimit-Remaining"] == "18"  # two admitted so far


def test_reset_is_zero_while_nothing_is_counted(api, clock):
    response = api.get(ACCOUNT)
    assert response.status_code == 401
    assert (response.headers["X-RateLimit-Remaining"], response.headers["X-RateLimit-Reset"]) == ("20", "0")


def test_the_binding_budget_is_the_one_with_fewest_left_and_on_a_tie_the_later():
    network, share = ratelimit.Reading(20, 5, 1), ratelimit.Reading(10, 5, 3)
    assert ratelimit.binding([network, share]) == share
    assert ratelimit.binding([ratelimit.Reading(20, 2, 1), share]) == ratelimit.Reading(20, 2, 1)


def test_pages_outside_the_api_carry_no_budget_headers(client):
    assert "X-RateLimit-Limit" not in client.get("/healthz").headers
    assert "X-RateLimit-Limit" not in client.get("/login").headers


@pytest.mark.parametrize(("share", "allowed"), [(None, 3), (1, 6), (0.34, 2), (0.01, 1)])
def test_the_budget_and_the_share_are_configurable(make_app, make, issue, clock, share, allowed):
    key = issue(make.partner())
    settings = {} if share is None else {"API_PARTNER_SHARE": share}
    client = make_app(API_RATE_PER_SECOND=2, API_RATE_BURST=6, **settings).test_client()
    statuses = [client.get(ACCOUNT, headers={"X-Eflow-API-Key": key}).status_code for _ in range(7)]
    assert statuses == [200] * allowed + [429] * (7 - allowed)


@pytest.mark.parametrize("share", [0, -0.5, 1.01, float("nan"), float("inf"), True, "0.5"])
def test_a_share_outside_0_to_1_stops_start_up(make_app, share):
    with pytest.raises(ConfigError, match="PORTAL_API_PARTNER_SHARE"):
        make_app(API_PARTNER_SHARE=share)


@pytest.mark.parametrize(("share", "limit"), [(0.5, "10 per 4 second"), (0.3, "6 per 4 second"),
                                              (0.25, "5 per 4 second"), (0.001, "1 per 4 second"),
                                              (1, "20 per 4 second")])
def test_the_share_is_a_part_of_the_burst_over_the_same_window(make_app, share, limit):
    assert make_app(API_PARTNER_SHARE=share).config["API_PARTNER_RATE_LIMIT"] == limit


def test_the_share_from_the_environment_is_a_number():
    assert from_environment({"PORTAL_API_PARTNER_SHARE": " 0.25 "}) == {"API_PARTNER_SHARE": 0.25}
    with pytest.raises(ConfigError, match="PORTAL_API_PARTNER_SHARE"):
        from_environment({"PORTAL_API_PARTNER_SHARE": "half"})


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
                                  "PORTAL_API_USAGE_FLUSH_SECONDS", "PORTAL_NETWORK_API_RATE_PER_SECOND",
                                  "PORTAL_NETWORK_API_RATE_BURST", "PORTAL_API_AUTH_FAILURES",
                                  "PORTAL_API_AUTH_FAILURE_WINDOW"])
def test_budget_settings_from_the_environment_are_whole_numbers(name):
    assert list(from_environment({name: " 12 "}).values()) == [12]
    with pytest.raises(ConfigError, match=name):
        from_environment({name: "5/s"})


@given(st.integers(min_value=2**63, max_value=2**80) | st.integers(max_value=0, min_value=-(2**70)))
def test_huge_or_negative_budget_settings_stop_start_up_with_their_name(huge):
    for name in ("API_RATE_PER_SECOND", "NETWORK_API_RATE_BURST", "API_AUTH_FAILURES", "API_AUTH_FAILURE_WINDOW"):
        config = {**DEFAULTS, **base_config(), **from_environment({f"PORTAL_{name}": str(huge)})}
        with pytest.raises(ConfigError, match=f"PORTAL_{name}"):
            finalise(config, "/tmp")


def test_flask_limiter_adds_no_work_to_requests_the_budgets_still_bind(app, api, make, issue):
    """Every budget is spent explicitly; Flask-Limiter's own per-request hooks (looking for limits the portal
    never declares) are taken out, on every page, API call and click."""
    hooks = [*app.before_request_funcs.get(None, []), *app.after_request_funcs.get(None, []),
             *app.teardown_request_funcs.get(None, [])]
    assert hooks and not any(ratelimit._limiters(hook) for hook in hooks)
    assert ratelimit._limiters(limiter._check_request_limit)  # what it would have registered is recognised
    key = issue(make.partner())
    assert [api.get(ACCOUNT, key=key).status_code for _ in range(11)] == [200] * 10 + [429]
