"""Failed authentication on the Affiliate API: after 10 invalid keys from one address in a minute, that
address gets 429 with Retry-After before any key is looked up; other addresses are not affected."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.http import auth_throttle
from portal.http.contract import AUTH_THROTTLED
from portal.services.keys import find_by_secret, revoke_key

ACCOUNT = "/v1/affiliates/affiliate"
ATTACKER = "203.0.113.66"


def wrong_keys(n: int) -> list[str]:
    return [f"afk_live_{i:049d}" for i in range(n)]


@pytest.mark.parametrize("header", ["X-Eflow-API-Key", "X-Api-Key", "Authorization"])
def test_after_ten_failures_the_address_gets_429_before_any_lookup(api, make, issue, clock, count_statements,
                                                                   header):
    key = issue(make.partner())
    for wrong in wrong_keys(10):
        assert api.get(ACCOUNT, key=wrong, header=header, ip=ATTACKER).status_code == 401
    with count_statements() as counter:
        refused = api.get(ACCOUNT, key=key, header=header, ip=ATTACKER)  # even the right key
        wrong = api.get(ACCOUNT, key=wrong_keys(1)[0], header=header, ip=ATTACKER)
    assert counter.count == 0  # nothing was looked up
    for response in (refused, wrong):
        assert response.status_code == 429 and response.json == {"error": AUTH_THROTTLED}
        assert response.headers["Retry-After"] == "60"
        assert response.headers["X-RateLimit-Limit"] == "20"


def test_a_correct_key_from_another_address_is_not_harmed(api, make, issue, clock):
    key = issue(make.partner())
    for wrong in wrong_keys(12):
        api.get(ACCOUNT, key=wrong, ip=ATTACKER)
    assert api.get(ACCOUNT, key=key, ip=ATTACKER).status_code == 429
    assert api.get(ACCOUNT, key=key, ip="198.51.100.1").status_code == 200
    assert api.get(ACCOUNT, key=key).status_code == 200
    assert api.get(ACCOUNT, key=wrong_keys(1)[0], ip="198.51.100.1").status_code == 401  # its own count


def test_the_block_ends_when_the_oldest_failure_leaves_the_window(api, make, issue, clock):
    key, start = issue(make.partner()), clock.now
    for n, wrong in enumerate(wrong_keys(10)):
        clock.now = start + n
        assert api.get(ACCOUNT, key=wrong, ip=ATTACKER).status_code == 401
    clock.now = start + 30
    assert api.get(ACCOUNT, key=key, ip=ATTACKER).headers["Retry-After"] == "30"
    clock.now = start + 60.5  # the first failure has left the one-minute window: one more try
    assert api.get(ACCOUNT, key=key, ip=ATTACKER).status_code == 200


def test_revoked_and_malformed_keys_count_but_missing_or_foreign_credentials_do_not(api, make, issue, clock):
    partner = make.partner()
    key, revoked = issue(partner), issue(partner, "Old")
    revoke_key(find_by_secret(revoked))
    basic = base64.b64encode(b"npk_live_x:nsk_live_y").decode()
    for _ in range(30):
        assert api.get(ACCOUNT, ip=ATTACKER).status_code == 401
        assert api.get(ACCOUNT, headers={"Authorization": f"Basic {basic}"}, ip=ATTACKER).status_code == 403
        assert api.get(f"{ACCOUNT}?api_key=x", key=key, ip=ATTACKER).status_code == 401
    assert api.get(ACCOUNT, key=key, ip=ATTACKER).status_code == 200
    for wrong in [revoked] * 5 + ["not-a-key"] * 5:
        assert api.get(ACCOUNT, key=wrong, ip=ATTACKER).status_code == 401
    assert api.get(ACCOUNT, key=key, ip=ATTACKER).status_code == 429


def test_ipv6_addresses_count_by_their_64(api, make, issue, clock):
    key = issue(make.partner())
    for n, wrong in enumerate(wrong_keys(10)):
        assert api.get(ACCOUNT, key=wrong, ip=f"2001:db8:0:7::{n + 1:x}").status_code == 401
    assert api.get(ACCOUNT, key=key, ip="2001:db8:0:7::ffff").status_code == 429
    assert api.get(ACCOUNT, key=key, ip="::ffff:203.0.113.1").status_code == 200
    assert api.get(ACCOUNT, key=key, ip="2001:db8:0:8::1").status_code == 200


@pytest.mark.parametrize(("ip", "counted_as"), [
    ("203.0.113.5", "203.0.113.5"), ("2001:db8::1", "2001:db8::/64"),
    ("2001:db8:0:0:ffff:1:2:3", "2001:db8::/64"), (None, "unknown"), ("not an address", "not an address"),
])
def test_what_failures_count_against(ip, counted_as):
    assert auth_throttle.address_key(ip) == counted_as


def test_the_limit_is_configurable(make_app, make, issue, clock):
    key = issue(make.partner())
    client = make_app(API_AUTH_FAILURES=2, API_AUTH_FAILURE_WINDOW=5).test_client()
    statuses = [client.get(ACCOUNT, headers={"X-Eflow-API-Key": wrong}).status_code for wrong in wrong_keys(3)]
    assert statuses == [401, 401, 429]
    refused = client.get(ACCOUNT, headers={"X-Eflow-API-Key": key})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "5"


def test_local_marks_are_bounded(app, clock, monkeypatch):
    monkeypatch.setattr(auth_throttle, "MAX_MARKS", 3)
    for n in range(5):
        auth_throttle.note_blocked(f"192.0.2.{n}", 30)
    marks = app.extensions["portal.auth_throttle"].marks
    assert list(marks) == ["192.0.2.2", "192.0.2.3", "192.0.2.4"]
    clock.now += 31
    auth_throttle.note_blocked("192.0.2.9", 30)
    assert list(marks) == ["192.0.2.9"]


# Latin-1 text stands for any bytes a header may carry: "\xed\xa0\x80" is a lone surrogate's UTF-8 form.
_HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
                       min_size=1, max_size=80).filter(lambda text: text.strip())


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(wrong=_HEADER_TEXT | st.integers(min_value=2**63, max_value=2**200).map(str)
       | st.just("afk_live_\xed\xa0\x80") | st.just("\x00afk_live_"))
def test_any_wrong_key_is_a_401_or_a_429_never_a_5xx(api, make, issue, wrong):
    response = api.get(ACCOUNT, key=wrong, ip="192.0.2.200")
    assert response.status_code in (401, 429) and set(response.json) == {"error"}
    if response.status_code == 429:
        assert response.json["error"] == AUTH_THROTTLED and int(response.headers["Retry-After"]) >= 1
