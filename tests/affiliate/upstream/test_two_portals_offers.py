"""Two real portals, offers: what a partner may see and run, and at which payout, through the proxy is what
the upstream's own Affiliate API gives the same affiliate — a private offer granted to Ann, a
require-approval offer she was approved for, her custom payout, a public offer Bob is blocked on — and
the tracking link of a granted offer tracks on the upstream, while Bob is refused as in local mode."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from portal.extensions import db as _db
from portal.services.everflow_keys import issue_key as issue_network_key
from portal.services.keys import issue_key
from tests.affiliate.upstream.live import (PUBLIC_BASE_URL, LiveUpstream, running_upstream,
                                           upstream_fixtures)

SECRET_LANDING = "https://advertiser.example/secret-socks"


def _seed(make, db) -> dict:
    open_ = make.offer(name="Open Shoes", visibility="public", payout_amount=500, network_revenue_amount=900)
    gated = make.offer(name="Gated Tea", visibility="require_approval", payout_amount=400)
    waiting = make.offer(name="Waiting Tea", visibility="require_approval", payout_amount=300)
    secret = make.offer(name="Secret Socks", visibility="private", payout_amount=800, network_revenue_amount=4321,
                        destination_url=SECRET_LANDING)
    blocked = make.offer(name="Blocked Hats", visibility="public", payout_amount=200)
    ann, bob = make.partner(name="Ann Media"), make.partner(name="Bob Deals")
    make.access(ann, gated, "approved")
    make.access(ann, secret, "approved", payout_type="flat", payout_amount=1234)
    make.access(ann, open_, "default", payout_type="percent", payout_amount=1500)  # a payout only
    make.access(ann, blocked, "blocked")
    return {"network_key": issue_network_key("Upstream mode").secret, "ann_id": ann.id, "bob_id": bob.id,
            "ann_key": issue_key(ann, "Parity", acknowledged_risk=True).secret,
            "bob_key": issue_key(bob, "Parity", acknowledged_risk=True).secret,
            **{name: o.id for name, o in (("open", open_), ("gated", gated), ("waiting", waiting),
                                          ("secret", secret), ("blocked", blocked))}}


@contextmanager
def _upstream(directory: Path) -> Iterator[LiveUpstream]:
    with running_upstream(directory, _seed) as live:
        live.file = directory / "upstream.sqlite"
        yield live


module_upstream, upstream = upstream_fixtures(_upstream)


@pytest.fixture
def app(make_app, upstream):
    app = make_app(UPSTREAM_URL=upstream.url, UPSTREAM_API_KEY=upstream.seeded["network_key"], UPSTREAM_TIMEOUT=5,
                   API_RATE_PER_SECOND=100_000, API_RATE_BURST=100_000, API_PARTNER_SHARE=1)
    with app.app_context():
        yield app
        _db.session.remove()


@pytest.fixture
def partners(make, db, issue, upstream):
    """Ann and Bob on the proxy, linked to their affiliate ids upstream, with their keys to the proxy."""
    found = {}
    for name in ("ann", "bob"):
        partner = make.partner(name=f"{name.title()} (proxy)")
        partner.upstream_affiliate_id = upstream.seeded[f"{name}_id"]
        db.session.commit()
        found[name] = (partner, issue(partner))
    return found


def proxy(client, method, path, key, body=None):
    return client.open(path, method=method, json=body, headers={"X-Eflow-API-Key": key})


def standing(offers: list[dict]) -> dict[int, tuple]:
    """What may differ nowhere: the offers, their status, the partner's standing and payout."""
    return {o["network_offer_id"]: (o["name"], o["offer_status"], o["visibility"],
                                    o["relationship"]["offer_affiliate_status"],
                                    o["relationship"]["payouts"]["entries"]) for o in offers}


@pytest.mark.parametrize("who, visible, runnable", [
    ("ann", ("open", "gated", "waiting", "secret"), ("open", "gated", "secret")),
    ("bob", ("open", "gated", "waiting", "blocked"), ("open", "blocked")),
])
def test_the_offers_through_the_proxy_are_the_upstreams_own(client, upstream, partners, who, visible, runnable):
    _, key = partners[who]
    ids = upstream.seeded
    for path, expected in (("/v1/affiliates/alloffers", visible), ("/v1/affiliates/offersrunnable", runnable)):
        through = proxy(client, "GET", path, key)
        status, direct, _ = upstream.call("GET", path, ids[f"{who}_key"])
        assert through.status_code == status == 200, through.json
        assert set(standing(through.json["offers"])) == {ids[name] for name in expected}, path
        assert standing(through.json["offers"]) == standing(direct["offers"]), path
        assert b"43.21" not in through.data and b"9.0," not in through.data  # never the network's revenue
        # A list never shows this portal's own tracker links for the platform's offers: they would not track.
        assert {(o["tracking_url"], o["impression_tracking_url"]) for o in through.json["offers"]} == {("", "")}


def test_ann_sees_her_custom_payouts_and_bob_the_defaults(client, upstream, partners):
    ids = upstream.seeded
    payouts = {}
    for who in ("ann", "bob"):
        offers = proxy(client, "GET", "/v1/affiliates/alloffers", partners[who][1]).json["offers"]
        payouts[who] = {o["network_offer_id"]: o["relationship"]["payouts"]["entries"][0] for o in offers}
    assert payouts["ann"][ids["secret"]]["payout_type"] == "cpa"
    assert payouts["ann"][ids["secret"]]["payout_amount"] == 12.34
    assert payouts["ann"][ids["open"]]["payout_type"] == "cps"
    assert payouts["ann"][ids["open"]]["payout_percentage"] == 15.0
    assert payouts["bob"][ids["open"]]["payout_type"] == "cpa" and payouts["bob"][ids["open"]]["payout_amount"] == 5.0
    assert payouts["ann"][ids["gated"]]["payout_amount"] == payouts["bob"][ids["gated"]]["payout_amount"] == 4.0
    detail = proxy(client, "GET", f"/v1/affiliates/offers/{ids['secret']}", partners["ann"][1])
    assert detail.status_code == 200 and detail.json["relationship"]["payouts"]["entries"][0]["payout_amount"] == 12.34
    assert detail.json["relationship"]["offer_affiliate_status"] == "approved" and b"43.21" not in detail.data


def test_the_granted_offers_link_tracks_upstream_and_bob_is_refused_as_in_local_mode(client, upstream, partners):
    ids = upstream.seeded
    for name in ("secret", "gated"):
        link = proxy(client, "GET", f"/v1/affiliates/offers/{ids[name]}/url/0", partners["ann"][1])
        assert link.status_code == 200, link.json
        assert link.json["url"].startswith(f"{PUBLIC_BASE_URL}/c/{ids['ann_id']}/{ids[name]}")
    url = urlsplit(proxy(client, "GET", f"/v1/affiliates/offers/{ids['secret']}/url/0", partners["ann"][1]).json["url"])
    status, _, headers = upstream.call("GET", url.path + (f"?{url.query}" if url.query else ""), "")
    assert status == 302 and headers["Location"].startswith(SECRET_LANDING)  # the click is taken upstream

    asks = [("GET", f"/v1/affiliates/offers/{ids['secret']}", None),
            ("GET", f"/v1/affiliates/offers/{ids['secret']}/url/0", None),
            ("POST", f"/v1/affiliates/offers/{ids['secret']}/trackingurl", {"sub1": "x"})]
    for method, path, body in asks:
        through = proxy(client, method, path, partners["bob"][1], body)
        status, direct, _ = upstream.call(method, path, ids["bob_key"], body)
        assert through.status_code == status == 404 and through.json == direct == {"error": "Not found"}, path
    for who, offer in (("ann", "waiting"), ("bob", "gated")):  # seen, not runnable: the same refusal as upstream
        path = f"/v1/affiliates/offers/{ids[offer]}/url/0"
        through = proxy(client, "GET", path, partners[who][1])
        status, direct, _ = upstream.call("GET", path, ids[f"{who}_key"])
        assert through.status_code == status == 400 and through.json == direct, (who, offer)
    blocked = proxy(client, "GET", f"/v1/affiliates/offers/{ids['blocked']}/url/0", partners["ann"][1])
    assert blocked.status_code == 404


@pytest.mark.parametrize("upstream", ["own"], indirect=True)
def test_a_block_upstream_stops_links_at_once(client, upstream, partners):
    ids, key = upstream.seeded, partners["ann"][1]
    path = f"/v1/affiliates/offers/{ids['secret']}/url/0"
    assert proxy(client, "GET", path, key).status_code == 200  # the offer lists are cached now
    with sqlite3.connect(upstream.file) as conn:
        conn.execute("UPDATE offer_access SET status = 'blocked' WHERE partner_id = ? AND offer_id = ?",
                     (ids["ann_id"], ids["secret"]))
    assert proxy(client, "GET", path, key).status_code == 404
    assert proxy(client, "GET", f"/v1/affiliates/offers/{ids['secret']}", key).status_code == 404


def test_the_pages_show_ann_her_granted_offer_and_bob_a_404(client, upstream, partners, make, login_as):
    ids = upstream.seeded
    login_as.partner(make.partner_user(partners["ann"][0]))
    listing = client.get("/offers").get_data(as_text=True)
    assert "Secret Socks" in listing and "Blocked Hats" not in listing
    page = client.get(f"/offers/{ids['secret']}")
    assert page.status_code == 200 and "12.34" in page.get_data(as_text=True)
    assert f"{PUBLIC_BASE_URL}/c/{ids['ann_id']}/{ids['secret']}" in page.get_data(as_text=True)  # the builder's link
    assert "43.21" not in page.get_data(as_text=True)
    client.post("/logout")
    login_as.partner(make.partner_user(partners["bob"][0]))
    assert "Secret Socks" not in client.get("/offers").get_data(as_text=True)
    assert client.get(f"/offers/{ids['secret']}").status_code == 404
