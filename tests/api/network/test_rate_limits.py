"""The Network API's budget (per key pair, 30/s with bursts of 60 by default) with its headers, its
failed-authentication throttle, and one answer for every kind of bad Basic credentials."""

from __future__ import annotations

import base64
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.http.contract import AUTH_THROTTLED
from portal.services.network_keys import issue_pair
from tests.api.affiliate.test_budget_redis import REDIS_URL, key_prefix, redis_client, redis_sends  # noqa: F401
from tests.api.network.conftest import PARTNERSHIPS, Pair, basic, envelope_of, mistyped

ATTACKER = "203.0.113.66"


@pytest.fixture
def small(make_app, db):
    """An app whose pairs may make 3 requests in 3 seconds."""
    app = make_app(NETWORK_API_RATE_PER_SECOND=1, NETWORK_API_RATE_BURST=3)
    with app.app_context():
        yield app.test_client()


def test_each_pair_has_its_own_budget_with_its_headers(small, clock):
    first, second = Pair(small, "production"), Pair(small, "test")
    for n in range(3):
        response = first("GET", PARTNERSHIPS)
        assert response.status_code == 200
        assert (response.headers["X-RateLimit-Limit"], response.headers["X-RateLimit-Remaining"],
                response.headers["X-RateLimit-Reset"]) == ("3", str(2 - n), "3")
    clock.now += 1.2
    refused = first("GET", PARTNERSHIPS)
    assert envelope_of(refused, 429)["message"] == "Rate limit exceeded"
    assert refused.headers["Retry-After"] == refused.headers["X-RateLimit-Reset"] == "2"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert second("GET", PARTNERSHIPS).status_code == 200  # keyed by the pair: the other one is untouched
    clock.now += 2
    assert first("GET", PARTNERSHIPS).status_code == 200


def test_the_default_budget_is_60_requests_in_2_seconds(production):
    response = production("GET", PARTNERSHIPS)
    assert (response.headers["X-RateLimit-Limit"], response.headers["X-RateLimit-Remaining"]) == ("60", "59")


def test_answers_after_authentication_carry_the_headers_and_refusals_before_it_do_not(client, production):
    missing = production("GET", PARTNERSHIPS + "/part_nobody")
    assert envelope_of(missing, 404) and missing.headers["X-RateLimit-Remaining"] == "59"
    bad = production("POST", PARTNERSHIPS, {"email": 5})
    assert envelope_of(bad, 400) and bad.headers["X-RateLimit-Remaining"] == "58"
    for refused in (client.get(PARTNERSHIPS), client.get(PARTNERSHIPS, headers=basic("npk_live_x", "y")),
                    client.get(PARTNERSHIPS, headers={"X-Api-Key": "afk_live_x"}),
                    client.get("/api/v2/openapi.json")):
        assert "X-RateLimit-Limit" not in refused.headers


def test_after_ten_failures_the_address_gets_429_before_any_lookup(client, production, count_statements):
    for n in range(10):
        wrong = basic(production.key.public_key, mistyped(production.secret)) if n % 2 else basic("npk_live_x", "")
        refused = client.get(PARTNERSHIPS, headers=wrong, environ_base={"REMOTE_ADDR": ATTACKER})
        assert envelope_of(refused, 401)["message"] == "Invalid API credentials"
    with count_statements() as counter:
        throttled = client.get(PARTNERSHIPS, headers=production.headers, environ_base={"REMOTE_ADDR": ATTACKER})
    assert counter.count == 0
    assert envelope_of(throttled, 429)["message"] == AUTH_THROTTLED
    assert throttled.headers["Retry-After"].isdigit() and 1 <= int(throttled.headers["Retry-After"]) <= 60
    served = client.get(PARTNERSHIPS, headers=production.headers, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert served.status_code == 200  # the right pair from another address is not harmed
    assert production("GET", PARTNERSHIPS).status_code == 200


def test_missing_and_foreign_credentials_do_not_count(client, production, make, issue):
    partner_key = issue(make.partner())
    for _ in range(20):
        assert client.get(PARTNERSHIPS, environ_base={"REMOTE_ADDR": ATTACKER}).status_code == 401
        assert client.get(PARTNERSHIPS, headers={"X-Eflow-API-Key": partner_key},
                          environ_base={"REMOTE_ADDR": ATTACKER}).status_code == 403
    assert client.get(PARTNERSHIPS, headers=production.headers, environ_base={"REMOTE_ADDR": ATTACKER}).status_code == 200


def test_a_revoked_pair_counts_as_a_failure(client, db):
    from portal.services.network_keys import revoke_pair

    issued = issue_pair("production", "Old back end")
    revoke_pair(issued.key)
    statuses = [client.get(PARTNERSHIPS, headers=basic(issued.key.public_key, issued.secret),
                           environ_base={"REMOTE_ADDR": ATTACKER}).status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]


def test_a_public_key_under_attack_gives_each_failing_address_one_try(client, production, test_pair,
                                                                       count_statements):
    """Failures against one public key from ten addresses: from then on an address that fails with it once
    is refused before its secret is checked; an address without failures still gets in with the right one."""
    public, wrong = production.key.public_key, mistyped(production.secret)
    for n in range(10):
        assert client.get(PARTNERSHIPS, headers=basic(public, wrong),
                          environ_base={"REMOTE_ADDR": f"198.51.100.{n}"}).status_code == 401
    spreading = {"REMOTE_ADDR": "203.0.113.20"}
    assert client.get(PARTNERSHIPS, headers=basic(public, wrong), environ_base=spreading).status_code == 401
    with count_statements() as counter:
        refused = client.get(PARTNERSHIPS, headers=production.headers, environ_base=spreading)
    assert envelope_of(refused, 429)["message"] == AUTH_THROTTLED and counter.count == 0
    assert int(refused.headers["Retry-After"]) >= 1
    # That address's own count is 1 of 10: with another pair it is still served …
    assert client.get(PARTNERSHIPS, headers=test_pair.headers, environ_base=spreading).status_code == 200
    # … and the attacked pair's real back end, at an address that never failed, is not harmed.
    assert client.get(PARTNERSHIPS, headers=production.headers,
                      environ_base={"REMOTE_ADDR": "192.0.2.44"}).status_code == 200


def test_an_empty_secret_counts_against_the_public_key_like_a_wrong_one(client, production):
    public = production.key.public_key
    for n in range(10):
        assert client.get(PARTNERSHIPS, headers=basic(public, ""),
                          environ_base={"REMOTE_ADDR": f"198.51.100.{n}"}).status_code == 401
    spreading = {"REMOTE_ADDR": "203.0.113.21"}
    for secret in ("", mistyped(production.secret)):
        answers = [client.get(PARTNERSHIPS, headers=basic(public, secret), environ_base=spreading).status_code
                   for _ in range(2)]
        assert answers == ([401, 429] if secret == "" else [429, 429])


def test_what_counts_as_a_public_key(production):
    from portal.services.network_keys import looks_like_public_key

    assert looks_like_public_key(production.key.public_key)
    for text in ("npk_live_x", production.key.public_key + "\n", production.key.public_key + "a", "",
                 "nsk_live_" + "a" * 24, "npk_live_" + "é" * 24):
        assert not looks_like_public_key(text), text


# --- one answer for every kind of bad credentials ---------------------------------------------------------

def _raw(token: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(token).decode()}


def _answer(response) -> tuple:
    return response.status_code, response.get_data(), sorted(response.headers.items())


def test_an_empty_password_gets_exactly_the_answer_of_a_wrong_one(client, production):
    public = production.key.public_key
    wrong = _answer(client.get(PARTNERSHIPS, headers=basic(public, mistyped(production.secret)),
                               environ_base={"REMOTE_ADDR": "192.0.2.1"}))
    assert wrong[0] == 401
    cases = {
        "empty password": basic(public, ""),
        "empty username": basic("", production.secret),
        "both empty": basic("", ""),
        "no colon": _raw(public.encode()),
        "not base64": {"Authorization": "Basic not-base64!"},
        "empty Basic": {"Authorization": "Basic "},
        "lone surrogate": _raw(f"{public}:\ud800".encode("utf-8", "surrogatepass")),
        "surrogate in the username": _raw("\udfff:x".encode("utf-8", "surrogatepass")),
        "not UTF-8": _raw(b"\xff\xfe:\xff"),
        "NUL in the password": basic(public, "\x00"),
        "NUL in the username": basic(public + "\x00", production.secret),
        "a bearer token": {"Authorization": "Bearer nsk_live_x"},
        "another scheme": {"Authorization": "Digest username=x"},
    }
    for n, (case, headers) in enumerate(cases.items()):
        answer = _answer(client.get(PARTNERSHIPS, headers=headers, environ_base={"REMOTE_ADDR": f"192.0.2.{n + 2}"}))
        assert answer == wrong, case


_ADDRESSES = itertools.count(1)
_ANY = st.characters(exclude_categories=())  # lone surrogates and NUL included


def _fresh_address() -> dict[str, str]:
    """An address no example has used: the throttle never answers for these (each fails once)."""
    n = next(_ADDRESSES)
    return {"REMOTE_ADDR": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(username=st.text(_ANY, max_size=80), password=st.text(_ANY, max_size=80) | st.integers(min_value=2**63).map(str))
def test_any_bad_basic_credentials_get_the_wrong_password_answer(client, production, username, password):
    if username.startswith("afk_") or password.startswith("afk_"):
        return  # a partner's key, sent the Basic way: 403 Out of realm (tested in test_auth.py)
    token = f"{username}:{password}".encode("utf-8", "surrogatepass")
    wrong = _answer(client.get(PARTNERSHIPS, headers=basic(production.key.public_key, mistyped(production.secret)),
                               environ_base=_fresh_address()))
    answer = _answer(client.get(PARTNERSHIPS, headers=_raw(token), environ_base=_fresh_address()))
    assert wrong[0] == 401 and answer == wrong


# --- with Redis ---------------------------------------------------------------------------------------------


@pytest.mark.redis
def test_the_pair_budget_holds_in_redis_in_one_round_trip(make_app, redis_client, key_prefix, redis_sends):
    app = make_app(REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=key_prefix, NETWORK_API_RATE_PER_SECOND=1,
                   NETWORK_API_RATE_BURST=3)
    with app.app_context():
        pair = Pair(app.test_client(), "production")
        assert pair("GET", PARTNERSHIPS).status_code == 200  # the first loads the script
        redis_sends.clear()
        response = pair("GET", PARTNERSHIPS)
        assert response.status_code == 200 and response.headers["X-RateLimit-Remaining"] == "1"
        assert len(redis_sends) == 1
        assert pair("GET", PARTNERSHIPS).status_code == 200
        refused = pair("GET", PARTNERSHIPS)
        assert envelope_of(refused, 429)["message"] == "Rate limit exceeded" and int(refused.headers["Retry-After"]) >= 1
    assert any(key_prefix in name.decode() for name in redis_client.scan_iter(match=f"*{key_prefix}*network-api*"))
