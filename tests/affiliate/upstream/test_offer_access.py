"""Upstream mode's offers against a scripted upstream: Everflow's visibility and custom payouts decide what
the partner sees, runs and earns; an upstream without those endpoints (404) keeps the rule it had before;
the lists are read from a few cached answers, one offer's standing afresh; a setting's revenue never shows."""

from __future__ import annotations

from datetime import date

import pytest

from portal.affiliate.upstream import access
from tests.affiliate.upstream.scripted import Answer, Scripted, serve

AFFILIATE = 7
OTHER = 8
NETWORKS = "/v1/networks"


def offer(offer_id: int, visibility: str, status: str = "active", payout: float = 5.0) -> dict:
    return {"network_offer_id": offer_id, "name": f"Offer {offer_id}", "offer_status": status,
            "visibility": visibility, "currency_id": "USD",
            "relationship": {"payout_revenue": {"entries": [{"is_default": True, "payout_type": "cpa",
                                                             "payout_amount": payout, "revenue_type": "rpa",
                                                             "revenue_amount": 77.77}]}}}


OFFERS = [offer(3, "public"), offer(4, "require_approval"), offer(5, "private"), offer(6, "public", "paused"),
          offer(9, "public", "deleted")]


def setting(offer_id: int, payout_type: str = "cpa", amount: float = 0.0, percentage: float = 0.0, **changes) -> dict:
    found = {"network_custom_payout_revenue_setting_id": offer_id * 10, "network_offer_id": offer_id,
             "network_offer_payout_revenue_id": 0, "custom_setting_status": "active", "is_apply_all_affiliates": False,
             "network_affiliate_ids": [AFFILIATE], "is_custom_payout_enabled": True, "payout_type": payout_type,
             "payout_amount": amount, "payout_percentage": percentage, "is_custom_revenue_enabled": True,
             "revenue_type": "rpa", "revenue_amount": 99.99, "revenue_percentage": 0, "date_valid_from": "",
             "date_valid_to": "", "is_apply_specific_offer_urls": False, "time_saved": 1700000000}
    found.update(changes)
    return found


@pytest.fixture
def app(upstream_app):
    return upstream_app


@pytest.fixture
def upstream():
    scripted = Scripted()
    scripted.route("POST", f"{NETWORKS}/offers/table", Answer(200, {"offers": OFFERS, "paging": {"total_count": 5}}))
    with serve(scripted) as server:
        scripted.url = server.url
        yield scripted


@pytest.fixture
def key(linked):
    return linked[1]


def call(client, path, key):
    return client.get(path, headers={"X-Eflow-API-Key": key})


def listed(client, key, path="/v1/affiliates/alloffers") -> dict[int, dict]:
    response = call(client, path, key)
    assert response.status_code == 200, response.json
    return {o["network_offer_id"]: o for o in response.json["offers"]}


def asked(upstream, path: str) -> int:
    return sum(1 for seen in upstream.seen if seen.path == path)


def test_without_the_endpoints_the_partner_sees_public_and_require_approval_offers_and_runs_public_ones(
        client, upstream, key):
    for path in ("offervisibility", "offers/5/visibility", "offers/3/visibility", "custom/payoutrevenue"):
        upstream.route("GET", f"{NETWORKS}/{path}", Answer(404, {"error": "Not found"}))
    upstream.route("POST", f"{NETWORKS}/tracking/offers/clicks", Answer(200, {"url": "https://track.example/c/3"}))
    everything = listed(client, key)
    assert set(everything) == {3, 4, 6}
    assert set(listed(client, key, "/v1/affiliates/offersrunnable")) == {3}
    assert everything[4]["relationship"]["offer_affiliate_status"] == "require_approval"
    assert everything[3]["relationship"]["payouts"]["entries"][0]["payout_amount"] == 5.0
    assert call(client, "/v1/affiliates/offers/5", key).status_code == 404
    link = call(client, "/v1/affiliates/offers/3/url/0", key)
    assert link.status_code == 200 and link.json == {"url": "https://track.example/c/3"}
    assert call(client, "/v1/affiliates/offers/4/url/0", key).status_code == 400  # seen, not runnable
    assert "77.77" not in call(client, "/v1/affiliates/alloffers", key).get_data(as_text=True)


def test_visibility_and_custom_payouts_decide_what_the_partner_sees_runs_and_earns(client, upstream, key):
    upstream.route("GET", f"{NETWORKS}/offervisibility", Answer(200, {"visibility": [
        {"network_offer_id": 3, "network_affiliate_visible_ids": [], "network_affiliate_rejected_ids": [],
         "network_affiliate_hidden_ids": [AFFILIATE]},
        {"network_offer_id": 4, "network_affiliate_visible_ids": [OTHER], "network_affiliate_rejected_ids": [AFFILIATE],
         "network_affiliate_hidden_ids": []},
        {"network_offer_id": 5, "network_affiliate_visible_ids": [OTHER, AFFILIATE],
         "network_affiliate_rejected_ids": [], "network_affiliate_hidden_ids": []}]}))
    upstream.route("GET", f"{NETWORKS}/offers/5/visibility", Answer(200, {
        "network_offer_id": 5, "network_affiliate_visible_ids": [AFFILIATE], "network_affiliate_rejected_ids": [],
        "network_affiliate_hidden_ids": []}))
    upstream.route("GET", f"{NETWORKS}/custom/payoutrevenue", Answer(200, {"custom_payout_revenue_settings": [
        setting(5, "cpa", 12.34),
        setting(6, "cps", percentage=20, is_apply_all_affiliates=True, network_affiliate_ids=None),
        setting(6, "prv", percentage=50),  # hidden from affiliates by Everflow
        setting(5, "cpa", 99.0, network_affiliate_ids=[OTHER]),
        setting(4, "cpa", 1.0, custom_setting_status="inactive")]}))
    everything = listed(client, key)
    assert set(everything) == {4, 5, 6}  # hidden on 3, rejected-but-seen on 4, granted 5, paused 6
    assert everything[4]["relationship"]["offer_affiliate_status"] == "rejected"
    assert everything[5]["relationship"]["offer_affiliate_status"] == "approved"
    assert set(listed(client, key, "/v1/affiliates/offersrunnable")) == {5}
    assert everything[5]["relationship"]["payouts"]["entries"][0]["payout_amount"] == 12.34
    assert everything[6]["relationship"]["payouts"]["entries"][0]["payout_percentage"] == 20.0
    assert everything[4]["relationship"]["payouts"]["entries"][0]["payout_amount"] == 5.0
    assert call(client, "/v1/affiliates/offers/3", key).status_code == 404
    detail = call(client, "/v1/affiliates/offers/5", key)
    assert detail.status_code == 200 and detail.json["relationship"]["payouts"]["entries"][0]["payout_amount"] == 12.34
    text = call(client, "/v1/affiliates/alloffers", key).get_data(as_text=True) + detail.get_data(as_text=True)
    assert "99.99" not in text and "77.77" not in text and "99.0" not in text  # revenue, another's payout


def test_lists_read_cached_answers_and_one_offer_asks_its_standing_afresh(client, upstream, key):
    upstream.route("GET", f"{NETWORKS}/offers/5/visibility", Answer(200, {
        "network_offer_id": 5, "network_affiliate_visible_ids": [AFFILIATE]}))
    upstream.route("GET", f"{NETWORKS}/offervisibility", Answer(200, {"visibility": []}))
    for _ in range(3):
        listed(client, key)
    assert asked(upstream, f"{NETWORKS}/offervisibility") == asked(upstream, f"{NETWORKS}/custom/payoutrevenue") == 1
    assert asked(upstream, f"{NETWORKS}/offers/table") == 1
    for _ in range(2):
        assert call(client, "/v1/affiliates/offers/5", key).status_code == 200
    assert asked(upstream, f"{NETWORKS}/offers/5/visibility") == 2  # grants and blocks count at once for links
    upstream.route("GET", f"{NETWORKS}/offers/5/visibility", Answer(200, {
        "network_offer_id": 5, "network_affiliate_hidden_ids": [AFFILIATE], "network_affiliate_visible_ids": []}))
    assert call(client, "/v1/affiliates/offers/5/url/0", key).status_code == 404


@pytest.mark.parametrize("record, expected", [
    ({"network_affiliate_visible_ids": [AFFILIATE]}, "visible"),
    ({"network_affiliate_visible_ids": [str(AFFILIATE)]}, "visible"),
    ({"network_affiliate_visible_ids": [AFFILIATE], "network_affiliate_hidden_ids": [AFFILIATE]}, "hidden"),
    ({"network_affiliate_rejected_ids": [AFFILIATE, OTHER]}, "rejected"),
    ({"network_affiliate_visible_ids": [OTHER, True, None, "x", 2**80]}, None),
    ({"network_affiliate_visible_ids": "7"}, None),
    ("nonsense", None),
])
def test_a_standing_is_read_only_from_ids_that_name_the_affiliate(record, expected):
    assert access.standing(record, AFFILIATE) == expected


@pytest.mark.parametrize("visibility, status, mine, expected", [
    ("public", "active", None, (True, True, "public")), ("public", "active", "rejected", (False, False, "")),
    ("public", "paused", "visible", (True, False, "public")), ("public", "deleted", None, (False, False, "")),
    ("require_approval", "active", None, (True, False, "require_approval")),
    ("require_approval", "active", "visible", (True, True, "approved")),
    ("require_approval", "active", "hidden", (False, False, "")),
    ("private", "active", None, (False, False, "")), ("private", "active", "visible", (True, True, "approved")),
    ("private_approval", "active", "visible", (True, True, "approved")),
    ("private", "pending", "visible", (False, False, "")),
])
def test_the_access_table(visibility, status, mine, expected):
    found = access.access(visibility, status, mine)
    assert (found.visible, found.runnable, found.relationship) == expected


def test_a_named_setting_wins_over_all_affiliates_and_dates_bound_it():
    today = date(2026, 12, 7)
    answer = {"custom_payout_revenue_settings": [
        setting(1, "cpa", 3.0, is_apply_all_affiliates=True, network_affiliate_ids=[], time_saved=1800000000),
        setting(1, "cpa", 4.5),
        setting(2, "cpa", 8.0, date_valid_to="2026-12-06"), setting(2, "cpa", 9.0, date_valid_from="2026-12-08"),
        setting(3, "cpa", 6.0, is_apply_specific_offer_urls=True), setting(3, "cpa", 7.0,
                                                                           network_offer_payout_revenue_id=4),
        setting(4, "cpa", 2.0, is_custom_payout_enabled=False), setting(4, "blank", 2.0),
        setting(5, "cpa_cps", 2.5, 10.0), setting(6, "cps", 1.0, 12.5, date_valid_from="2026-12-07 00:00:00"),
        "nonsense", {"network_offer_id": "x"}]}
    assert access.custom_payouts(answer, AFFILIATE, today) == {1: ("flat", 450), 5: ("flat", 250),
                                                              6: ("percent", 1250)}
    assert access.custom_payouts(answer, OTHER, today) == {1: ("flat", 300)}
    assert access.custom_payouts(None, AFFILIATE, today) == {} and access.standings({}, AFFILIATE) is None
