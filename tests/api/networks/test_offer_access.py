"""Everflow's Offer Visibility and Custom Payout/Revenue endpoints over OfferAccess: the shapes, which
standing lands in which list, 404s, the key, and hostile values (huge integers, lone surrogates)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models import OfferAccess
from tests.hostile import hostile_text

VISIBILITY_LISTS = ("network_affiliate_visible_ids", "network_affiliate_rejected_ids", "network_affiliate_hidden_ids")


@pytest.fixture
def app(unbudgeted_app):
    return unbudgeted_app


@pytest.fixture
def standings(make, db):
    """A public, a require_approval and a private offer, and partners standing every way on them."""
    public = make.offer(name="Open Shoes", visibility="public", payout_amount=500, network_revenue_amount=900)
    gated = make.offer(name="Gated Tea", visibility="require_approval", payout_amount=400)
    private = make.offer(name="Secret Socks", visibility="private", payout_type="percent", payout_amount=1000,
                         network_revenue_amount=2500, currency="EUR")
    ann, bob, cat, dan = (make.partner(name=n) for n in ("Ann Media", "Bob Deals", "Cat Ads", "Dan Push"))
    make.access(ann, public, "approved", payout_type="flat", payout_amount=725)
    make.access(bob, public, "blocked")
    make.access(cat, public, "rejected")  # changes nothing on a public offer
    make.access(dan, public, "pending")
    make.access(ann, gated, "approved")
    make.access(bob, gated, "rejected")
    make.access(cat, gated, "pending")
    make.access(ann, private, "approved", payout_type="percent", payout_amount=1250)
    make.access(bob, private, "rejected")
    make.access(dan, private, "default", payout_type="cpc", payout_amount=35)  # a payout only
    return {"public": public, "gated": gated, "private": private, "ann": ann, "bob": bob, "cat": cat, "dan": dan}


def test_an_offers_visibility_lists_who_is_visible_rejected_and_hidden(network, standings):
    s = standings
    expected = {
        "public": ([s["ann"].id], [], [s["bob"].id]),
        "gated": ([s["ann"].id], [s["bob"].id], []),
        "private": ([s["ann"].id], [s["bob"].id], []),
    }
    network_id = network("GET", "/v1/networks").json["network_id"]
    for name, lists in expected.items():
        response = network("GET", f"/v1/networks/offers/{s[name].id}/visibility")
        assert response.status_code == 200, response.json
        assert response.json == {"network_id": network_id, "network_offer_id": s[name].id,
                                 **dict(zip(VISIBILITY_LISTS, lists))}, name


def test_the_visibility_list_holds_every_offer_as_its_own_endpoint_does(network, standings, make):
    bare = make.offer(name="Nobody stands here")
    response = network("GET", "/v1/networks/offervisibility")
    assert response.status_code == 200 and set(response.json) == {"visibility"}
    records = {r["network_offer_id"]: r for r in response.json["visibility"]}
    for offer in (standings["public"], standings["gated"], standings["private"], bare):
        assert records[offer.id] == network("GET", f"/v1/networks/offers/{offer.id}/visibility").json
    assert all(records[bare.id][name] == [] for name in VISIBILITY_LISTS)


@pytest.mark.parametrize("offer_id", ["999999", str(2**31 - 1), str(2**31), str(2**63), "0", "abc", "-1"])
def test_an_unknown_offers_visibility_is_a_json_404(network, standings, offer_id):
    response = network("GET", f"/v1/networks/offers/{offer_id}/visibility")
    assert response.status_code == 404 and response.json == {"error": "Not found"}


def test_custom_payouts_are_the_partners_overrides_without_network_revenue(network, standings, db):
    s = standings
    response = network("GET", "/v1/networks/custom/payoutrevenue")
    assert response.status_code == 200 and set(response.json) == {"custom_payout_revenue_settings"}
    settings_ = {(c["network_offer_id"], tuple(c["network_affiliate_ids"])): c
                 for c in response.json["custom_payout_revenue_settings"]}
    assert set(settings_) == {(s["public"].id, (s["ann"].id,)), (s["private"].id, (s["ann"].id,)),
                              (s["private"].id, (s["dan"].id,))}
    flat = settings_[(s["public"].id, (s["ann"].id,))]
    row = db.session.get(OfferAccess, flat["network_custom_payout_revenue_setting_id"])
    assert (row.partner_id, row.offer_id) == (s["ann"].id, s["public"].id)
    assert flat["payout_type"] == "cpa" and flat["payout_amount"] == 7.25 and flat["payout_percentage"] == 0
    assert flat["is_custom_payout_enabled"] is True and flat["is_apply_all_affiliates"] is False
    assert flat["network_offer_payout_revenue_id"] == 0 and flat["custom_setting_status"] == "active"
    assert flat["is_custom_revenue_enabled"] is False and flat["revenue_type"] == "blank"
    assert flat["revenue_amount"] == 0 and flat["revenue_percentage"] == 0 and flat["currency_id"] == "USD"
    percent = settings_[(s["private"].id, (s["ann"].id,))]
    assert percent["payout_type"] == "cps" and percent["payout_percentage"] == 12.5 and percent["payout_amount"] == 0
    assert percent["currency_id"] == "EUR"
    assert settings_[(s["private"].id, (s["dan"].id,))]["payout_type"] == "cpc"
    assert b"25.0" not in response.data and b"9.0" not in response.data  # the offers' network revenue


def test_custom_payouts_filter_by_offer_and_time(network, standings, db):
    s = standings
    path = "/v1/networks/custom/payoutrevenue?filter="
    by_offer = network("GET", path + quote(f"network_offer_id={s['private'].id}"))
    assert by_offer.status_code == 200
    assert {c["network_offer_id"] for c in by_offer.json["custom_payout_revenue_settings"]} == {s["private"].id}
    assert len(by_offer.json["custom_payout_revenue_settings"]) == 2
    row = db.session.get(OfferAccess, by_offer.json["custom_payout_revenue_settings"][0][
        "network_custom_payout_revenue_setting_id"])
    row.updated_at = row.updated_at - timedelta(days=3)
    db.session.commit()
    saved = by_offer.json["custom_payout_revenue_settings"][1]["time_saved"]
    since = network("GET", "/v1/networks/custom/payoutrevenue?filter=" + quote(f"time_saved>{saved - 60}"))
    ids = {c["network_custom_payout_revenue_setting_id"] for c in since.json["custom_payout_revenue_settings"]}
    assert row.id not in ids and len(ids) == 2
    before = network("GET", "/v1/networks/custom/payoutrevenue?filter=" + quote(f"time_saved<{saved - 60}"))
    assert [c["network_custom_payout_revenue_setting_id"] for c in before.json["custom_payout_revenue_settings"]] == [
        row.id]
    both = network("GET", "/v1/networks/custom/payoutrevenue?filter=" + quote(f"network_offer_id={s['public'].id}")
                   + "&filter=" + quote(f"time_created>{saved - 60}"))
    assert len(both.json["custom_payout_revenue_settings"]) == 1


def test_one_custom_payout_by_its_id_and_404s(network, standings, db):
    listed = network("GET", "/v1/networks/custom/payoutrevenue").json["custom_payout_revenue_settings"][0]
    one = network("GET", f"/v1/networks/custom/payoutrevenue/{listed['network_custom_payout_revenue_setting_id']}")
    assert one.status_code == 200 and one.json == listed
    no_override = db.session.scalar(OfferAccess.__table__.select().with_only_columns(OfferAccess.id).where(
        OfferAccess.payout_type.is_(None)).limit(1))
    for setting_id in (no_override, 999999, 2**31, 2**63, "x"):
        response = network("GET", f"/v1/networks/custom/payoutrevenue/{setting_id}")
        assert response.status_code == 404 and response.json == {"error": "Not found"}, setting_id


@pytest.mark.parametrize("expression", ["offer=1", "network_offer_id>1", "network_offer_id=0", "network_offer_id=x",
                                        f"network_offer_id={2**31}", f"network_offer_id={10**30}", "=1",
                                        "time_created>-1", f"time_created>{10**12}", "time_saved=soon",
                                        "network_offer_id", "network_offer_id=\ud800", "time_saved<\x00"])
def test_a_bad_filter_is_a_400_naming_it(network, standings, expression):
    path = "/v1/networks/custom/payoutrevenue?filter=" + quote(expression.encode("utf-8", "surrogatepass"), safe="")
    response = network("GET", path)
    assert response.status_code == 400 and response.json["error"].startswith("filter"), response.json


def test_a_field_filtered_twice_or_too_many_filters_is_a_400(network, standings):
    twice = network("GET", "/v1/networks/custom/payoutrevenue"
                            "?filter=network_offer_id%3D1&filter=network_offer_id%3D2")
    many = network("GET", "/v1/networks/custom/payoutrevenue?" + "&".join(["filter=time_saved%3E1"] * 6))
    assert twice.status_code == many.status_code == 400


@pytest.mark.parametrize("path", ["/v1/networks/offervisibility", "/v1/networks/offers/1/visibility",
                                  "/v1/networks/custom/payoutrevenue", "/v1/networks/custom/payoutrevenue/1"])
def test_the_network_key_is_required_and_a_partner_key_is_out_of_realm(client, make, issue, path):
    assert client.get(path).status_code == 401
    response = client.get(path, headers={"X-Eflow-API-Key": issue(make.partner())})
    assert response.status_code == 403 and response.json == {"error": "Out of realm"}


HUGE = st.sampled_from([2**31, 2**63, 10**30, -(2**63) - 1, 10**400])


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=st.one_of(HUGE.map(str), st.sampled_from(["\ud800", "a\udc00b", "\x00", "1\ud800"]), hostile_text),
       place=st.sampled_from(["visibility", "setting", "filter_offer", "filter_time"]))
def test_huge_integers_and_lone_surrogates_never_fail(network, value, place):
    quoted = quote(str(value).encode("utf-8", "surrogatepass"), safe="")
    path = {"visibility": f"/v1/networks/offers/{quoted}/visibility",
            "setting": f"/v1/networks/custom/payoutrevenue/{quoted}",
            "filter_offer": f"/v1/networks/custom/payoutrevenue?filter=network_offer_id%3D{quoted}",
            "filter_time": f"/v1/networks/custom/payoutrevenue?filter=time_created%3E{quoted}"}[place]
    response = network("GET", path)
    assert response.status_code in (200, 400, 404), (place, value, response.status_code)
    assert response.is_json
