"""No SSRF: every refused destination is logged as "blocked" and the local listener gets zero connections.

Each case goes through the real path: a postback with the URL, a "Send test" (deliver_now) and a real
conversion delivered by the worker (run_once). The same URL forms reach the listener when private
destinations are allowed, which shows the refusals come from the address rules, not from luck.
"""

from __future__ import annotations

import ipaddress

import pytest

from portal.delivery import http as sender
from portal.delivery import macros
from portal.delivery.addresses import refusal_reason
from portal.delivery.worker import deliver_now, run_once
from portal.models import PostbackDelivery
from tests.delivery.conftest import Reply, fake_dns

LOOPBACK_FORMS = [
    "http://127.0.0.1:{port}/pb",
    "http://127.1:{port}/pb",
    "http://2130706433:{port}/pb",
    "http://0x7f000001:{port}/pb",
    "http://0177.0.0.1:{port}/pb",
    "http://127。0。0。1:{port}/pb",
    "http://127.0.0.1:{port}/pb#@evil.com",
    "http://LOCALHOST:{port}/pb",
]

REFUSED_ANYWHERE = [
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::]/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://100.64.0.1/",
    "http://[fe80::1%25eth0]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://[2002:c0a8:0101::1]/",
    "http://[64:ff9b::a00:1]/",
    "http://224.0.0.1/",
    "http://198.18.0.1/",
    "http://192.88.99.3/",
    "http://[3fff::dead:beef]/",
    "http://[5f00::dead:beef]/",
    "http://evil.com@127.0.0.1:{port}/",
    "http://evil.com\\@127.0.0.1:{port}/",
    "http://127.0.0.1:{port}\\@evil.com/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:{port}/_SET",
    "ftp://127.0.0.1:{port}/",
]


def fire_both_ways(outbox_rows, urls: list[str]) -> dict[str, list]:
    """Test-fire (deliver_now of a "Send test") and real fire (the worker on a conversion's delivery) of
    each URL; returns each URL's two attempts."""
    tested, real = {}, {}
    for url in urls:
        postback = outbox_rows.postback(url)
        tested[url] = deliver_now(outbox_rows.test_send(postback).id)
        real[url] = outbox_rows.conversion(postback).id
    assert run_once() == len(urls)
    return {url: [tested[url], *outbox_rows.attempts(real[url])] for url in urls}


def test_refused_destinations_are_blocked_and_never_connected(app, outbox_rows, listener):
    urls = [template.format(port=listener.port) for template in LOOPBACK_FORMS + REFUSED_ANYWHERE]
    for url, attempts in fire_both_ways(outbox_rows, urls).items():
        assert [a.outcome for a in attempts] == ["blocked", "blocked"], url
        assert all(a.error_class in ("blocked", "invalid_url") and a.status_code is None for a in attempts), url
    assert listener.connections == 0 and listener.requests == []


def test_the_same_loopback_forms_reach_the_listener_when_private_destinations_are_allowed(
        allow_private, outbox_rows, listener):
    urls = [template.format(port=listener.port) for template in LOOPBACK_FORMS]
    for url, attempts in fire_both_ways(outbox_rows, urls).items():
        assert [a.outcome for a in attempts] == ["delivered", "delivered"], url
        assert {a.resolved_ip for a in attempts} == {"127.0.0.1"}, url
    assert [r.path for r in listener.requests] == ["/pb"] * 2 * len(urls)


def test_loopback_is_refused_for_the_address_even_on_an_allowed_port(app):
    result = sender.send("http://127.0.0.1:80/pb", sender.SendSettings())
    assert (result.outcome, result.error_class) == ("blocked", "blocked")
    assert "127.0.0.0/8" in result.error


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.64.0.1", "100.127.255.254",
    "0.0.0.0", "0.1.2.3", "255.255.255.255", "224.0.0.251", "239.255.255.250", "192.0.0.8", "192.0.2.1",
    "198.51.100.7", "203.0.113.9", "192.88.99.1", "198.18.0.1", "198.19.255.255", "240.0.0.1",
    "::", "::1", "fe80::1", "febf::1", "fc00::1", "fd00:ec2::254", "2001:db8::1", "3fff::1", "100::1",
    "5f00::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
    "2002:a00:1::1", "2002:7f00:1::", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo carrying 192.0.2.45
])
def test_refused_addresses(address):
    assert refusal_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", [
    "93.184.216.34", "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "2606:4700:4700::1111",
    "::ffff:8.8.8.8", "2a00:1450:4001:80b::200e", "64:ff9b::808:808", "2002:808:808::1",
])
def test_public_addresses_are_allowed(address):
    assert refusal_reason(ipaddress.ip_address(address)) is None


def test_a_name_resolving_to_loopback_is_refused(app, outbox_rows, listener, monkeypatch):
    fake_dns(monkeypatch, {"tracker.partner.example": [["127.0.0.1"]]})
    url = f"http://tracker.partner.example:{listener.port}/pb"
    attempts = fire_both_ways(outbox_rows, [url])[url]
    assert [a.outcome for a in attempts] == ["blocked", "blocked"]
    assert "tracker.partner.example resolves to a refused address" in attempts[0].error
    assert listener.connections == 0


def test_a_name_with_one_public_and_one_private_address_is_refused(app, outbox_rows, listener, monkeypatch):
    fake_dns(monkeypatch, {"tracker.partner.example": [["93.184.216.34", "10.0.0.7"]]})
    attempts = fire_both_ways(outbox_rows, ["http://tracker.partner.example/pb"])["http://tracker.partner.example/pb"]
    assert [a.outcome for a in attempts] == ["blocked", "blocked"]
    assert "10.0.0.7" in attempts[0].error
    assert listener.connections == 0


def test_the_name_is_resolved_once_and_the_vetted_address_is_the_one_connected(
        allow_private, outbox_rows, listener, monkeypatch):
    # Rebinding: the first answer is the listener, any later one would point elsewhere.
    lookups = fake_dns(monkeypatch, {"tracker.partner.example": [["127.0.0.1"], ["10.255.255.1"]]})
    postback = outbox_rows.postback(f"http://tracker.partner.example:{listener.port}/pb?t={{transaction_id}}")
    attempt = deliver_now(outbox_rows.test_send(postback).id)
    assert (attempt.outcome, attempt.resolved_ip) == ("delivered", "127.0.0.1")
    assert lookups == ["tracker.partner.example"]
    assert listener.requests[0].headers["Host"] == f"tracker.partner.example:{listener.port}"


def test_a_redirect_to_loopback_is_a_failure_and_is_not_followed(allow_private, outbox_rows, listener):
    listener.default = Reply(302, b"", {"Location": f"http://127.0.0.1:{listener.port}/admin"})
    postback = outbox_rows.postback(listener.url("/pb"))
    delivery = outbox_rows.conversion(postback)
    assert run_once() == 1
    (attempt,) = outbox_rows.attempts(delivery.id)
    assert (attempt.outcome, attempt.status_code, attempt.error_class) == ("failed", 302, "redirect")
    assert [r.path for r in listener.requests] == ["/pb"]
    assert outbox_rows.reload(delivery).status == "pending"


def test_the_local_listener_is_refused_unless_private_destinations_are_allowed(app, outbox_rows, listener):
    postback = outbox_rows.postback(listener.url("/pb?tid={transaction_id}"))
    delivery = outbox_rows.conversion(postback)
    assert run_once() == 1
    assert outbox_rows.reload(delivery).last_error.startswith("the address is refused")
    assert listener.connections == 0


def test_no_proxy_from_the_environment_is_used(allow_private, outbox_rows, listener, monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://10.9.9.9:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    attempt = deliver_now(outbox_rows.test_send(outbox_rows.postback(listener.url("/pb"))).id)
    assert attempt.outcome == "delivered" and listener.connections == 1


@pytest.mark.parametrize("template", ["file:///etc/passwd", "gopher://partner.example/_x", "ftp://partner.example/",
                                      "http://partner.example:6379/", "http://evil.com@127.0.0.1/",
                                      "http://evil.com\\@127.0.0.1/"])
def test_bad_schemes_ports_and_userinfo_are_refused_at_save_time(template):
    with pytest.raises(macros.TemplateError):
        macros.validate_template(template)


def test_a_deleted_or_switched_off_postback_is_not_sent(app, db, outbox_rows, listener):
    postback = outbox_rows.postback(listener.url("/pb"))
    delivery = outbox_rows.conversion(postback)
    postback.status = "inactive"
    db.session.commit()
    assert run_once() == 0
    delivery = outbox_rows.reload(delivery)
    assert delivery.status == "dead" and "turned off" in delivery.last_error
    assert listener.connections == 0 and db.session.get(PostbackDelivery, delivery.id).attempts == 0
