"""IP allowlists hold: outside → 403; X-Forwarded-For trusted for exactly the configured hops; IPv6 normalised."""

from __future__ import annotations

import pytest

from portal.config import ConfigError, from_environment
from portal.services.allowlists import AllowlistError, parse_allowlist
from portal.services.keys import find_by_secret, set_allowlist
from tests.conftest import Api

ACCOUNT = "/v1/affiliates/affiliate"


@pytest.fixture
def fenced_key(make, issue):
    """A key that may be used from 203.0.113.7 and from 2001:db8::/32 only."""

    def _fenced(allowlist: str = "203.0.113.7, 2001:db8::/32") -> str:
        key = issue(make.partner())
        set_allowlist(find_by_secret(key), allowlist, make.staff())
        return key

    return _fenced


def api_behind_proxies(make_app, hops: int) -> Api:
    return Api(make_app(TRUSTED_PROXY_HOPS=hops).test_client())


@pytest.mark.parametrize(("ip", "status"), [
    ("203.0.113.7", 200), ("203.0.113.8", 403), ("2001:db8::1", 200), ("2001:db8:ffff::9", 200),
    ("2001:db9::1", 403), ("::ffff:203.0.113.7", 200), ("127.0.0.1", 403),
])
def test_callers_outside_the_allowlist_get_403(api, fenced_key, ip, status):
    response = api.get(ACCOUNT, key=fenced_key(), ip=ip)
    assert response.status_code == status
    if status == 403:
        assert response.json == {"error": "IP address not allowed"}


def test_an_empty_allowlist_admits_any_address(api, make, issue):
    key = issue(make.partner())
    for ip in ("203.0.113.7", "2001:db8::1", "10.1.2.3"):
        assert api.get(ACCOUNT, key=key, ip=ip).status_code == 200


def test_an_ipv4_mapped_entry_matches_the_plain_ipv4_caller(api, fenced_key):
    key = fenced_key("::ffff:10.0.0.1")
    assert find_by_secret(key).ip_allowlist == ["10.0.0.1/32"]
    assert api.get(ACCOUNT, key=key, ip="10.0.0.1").status_code == 200
    assert api.get(ACCOUNT, key=key, ip="::ffff:10.0.0.1").status_code == 200
    assert api.get(ACCOUNT, key=key, ip="10.0.0.2").status_code == 403


def test_x_forwarded_for_is_ignored_without_trusted_proxies(api, fenced_key):
    response = api.get(ACCOUNT, key=fenced_key(), ip="127.0.0.1", headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.status_code == 403


def test_one_trusted_hop_takes_the_address_the_proxy_saw(make_app, fenced_key):
    key = fenced_key()
    api = api_behind_proxies(make_app, 1)
    assert api.get(ACCOUNT, key=key, ip="10.0.0.2", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 200
    # A client that sends its own X-Forwarded-For cannot choose its address: only the last hop counts.
    spoofed = api.get(ACCOUNT, key=key, ip="10.0.0.2", headers={"X-Forwarded-For": "203.0.113.7, 198.51.100.9"})
    assert spoofed.status_code == 403


def test_two_trusted_hops_take_the_address_two_proxies_back(make_app, fenced_key):
    key = fenced_key()
    api = api_behind_proxies(make_app, 2)
    through_both = api.get(ACCOUNT, key=key, ip="10.0.0.2", headers={"X-Forwarded-For": "203.0.113.7, 10.0.0.5"})
    assert through_both.status_code == 200
    spoofed = api.get(ACCOUNT, key=key, ip="10.0.0.2",
                      headers={"X-Forwarded-For": "203.0.113.7, 198.51.100.9, 10.0.0.5"})
    assert spoofed.status_code == 403
    # Fewer addresses than trusted hops: nothing is taken from the header.
    assert api.get(ACCOUNT, key=key, ip="10.0.0.2", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 403


def test_the_last_used_address_is_stored_normalised(make_app, db, make, issue):
    key = issue(make.partner())
    app = make_app(API_USAGE_FLUSH_SECONDS=0)
    assert Api(app.test_client()).get(ACCOUNT, key=key, ip="::ffff:198.51.100.20").status_code == 200
    db.session.expire_all()
    assert find_by_secret(key).last_used_ip == "198.51.100.20"


def test_allowlist_errors_name_each_bad_entry_and_the_rule():
    with pytest.raises(AllowlistError) as err:
        parse_allowlist("10.0.0.0/8, 300.1.1.1\n10.0.0.1/24 fe80::1%eth0 2001:db8::/32")
    message = str(err.value)
    assert "300.1.1.1: not an IPv4 or IPv6 address or CIDR range" in message
    assert "10.0.0.1/24: the range has host bits set; did you mean 10.0.0.0/24?" in message
    assert "fe80::1%eth0: zone ids" in message
    assert "10.0.0.0/8" not in message.replace("10.0.0.0/24", "")


@pytest.mark.parametrize("raw", ["one", "1.5", "-1", ""])
def test_trusted_proxy_hops_are_parsed_strictly(raw, monkeypatch, make_app):
    if raw == "-1":
        with pytest.raises(ConfigError, match="PORTAL_TRUSTED_PROXY_HOPS"):
            make_app(TRUSTED_PROXY_HOPS=int(raw))
        return
    with pytest.raises(ConfigError, match="PORTAL_TRUSTED_PROXY_HOPS"):
        from_environment({"PORTAL_TRUSTED_PROXY_HOPS": raw})
