"""The Everflow-style Network API over the portal's data: auth, the network report's figures, conversions,
clicks, affiliates, offers, pixels and tracking links, with 404s and 400s as JSON."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, EverflowNetworkKey
from portal.services.everflow_keys import revoke_key
from tests.api.networks.conftest import UTC_ID, report_body

TABLE = "/v1/networks/reporting/entity/table"
CONVERSIONS = "/v1/networks/reporting/conversions"
CLICKS = "/v1/networks/reporting/clicks/stream"


@pytest.fixture
def app(unbudgeted_app):
    return unbudgeted_app


# --- auth -------------------------------------------------------------------------------------------------


def test_no_key_is_401_in_everflows_words(client, db):
    response = client.post(TABLE, json=report_body(["affiliate"]))
    assert response.status_code == 401 and response.json == {"error": "No Authentication Method Found"}


@pytest.mark.parametrize("header", ["X-Eflow-API-Key", "x-eflow-api-key", "X-EFLOW-API-KEY"])
def test_the_header_name_is_case_insensitive(network, header):
    response = network.client.get("/v1/networks", headers={header: network.secret})
    assert response.status_code == 200 and response.json["name"]


def test_a_bad_or_mistyped_key_is_401(network):
    for secret in ("nonsense", network.secret[:-1] + ("x" if network.secret[-1] != "x" else "y")):
        response = network.client.get("/v1/networks", headers={"X-Eflow-API-Key": secret})
        assert response.status_code == 401 and response.json == {"error": "Invalid API key"}


def test_a_revoked_key_is_401_at_once(network, db):
    assert network("GET", "/v1/networks").status_code == 200
    revoke_key(db.session.get(EverflowNetworkKey, network.key.id))
    response = network("GET", "/v1/networks")
    assert response.status_code == 401 and response.json == {"error": "Invalid API key"}


def test_a_partners_affiliate_api_key_is_out_of_realm(client, make, issue):
    key = issue(make.partner())
    response = client.get("/v1/networks", headers={"X-Eflow-API-Key": key})
    assert response.status_code == 403 and response.json == {"error": "Out of realm"}
    # …and the network's key on the Affiliate API is not a partner key
    assert client.get("/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": key}).status_code == 200


def test_a_network_key_is_out_of_realm_on_the_affiliate_api(network):
    response = network("GET", "/v1/affiliates/affiliate")
    assert response.status_code == 403 and response.json == {"error": "Out of realm"}


def test_last_used_is_stamped_at_most_once_a_minute(network, db):
    network("GET", "/v1/networks")
    db.session.expire_all()
    key = db.session.get(EverflowNetworkKey, network.key.id)
    assert key.last_used_at is not None and key.last_used_ip == "127.0.0.1"
    first = key.last_used_at
    network("GET", "/v1/networks", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    db.session.expire_all()
    assert db.session.get(EverflowNetworkKey, network.key.id).last_used_at == first  # within the minute
    key = db.session.get(EverflowNetworkKey, network.key.id)
    key.last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    network("GET", "/v1/networks", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    db.session.expire_all()
    key = db.session.get(EverflowNetworkKey, network.key.id)
    assert key.last_used_at > first and key.last_used_ip == "198.51.100.7"


def test_unknown_paths_and_methods_answer_json(network):
    assert network("GET", "/v1/networks/nothing-here").json == {"error": "Not found"}
    assert network("DELETE", "/v1/networks/reporting/entity/table").status_code == 405


# --- the entity report ------------------------------------------------------------------------------------


def _row(table, **ids):
    for row in table:
        cells = {c["column_type"]: c["id"] for c in row["columns"]}
        if all(cells.get(k) == str(v) for k, v in ids.items()):
            return row["reporting"]
    raise AssertionError(f"no row {ids} in {table}")


def test_report_by_affiliate_has_payout_revenue_profit_and_margin_to_the_cent(network, seeded):
    body = network("POST", TABLE, report_body(["affiliate"])).json
    ann = _row(body["table"], affiliate=seeded["ann"].id)
    assert (ann["payout"], ann["revenue"], ann["profit"]) == (32.83, 49.02, 16.19)
    assert ann["margin"] == round(100 * 1619 / 4902, 2) and ann["cv"] == 3 and ann["total_click"] == 5
    bob = _row(body["table"], affiliate=seeded["bob"].id)
    assert (bob["payout"], bob["revenue"], bob["profit"]) == (6.5, 9.0, 2.5)  # the rejected one counts nothing
    assert body["summary"]["payout"] == 39.33 and body["summary"]["revenue"] == 58.02
    assert body["summary"]["profit"] == 18.69 and body["incomplete_results"] is False
    labels = {c["label"] for row in body["table"] for c in row["columns"]}
    assert {"Ann Media", "Bob Deals"} <= labels


def test_report_payout_equals_each_partners_own_report(network, seeded, client, issue):
    network_rows = network("POST", TABLE, report_body(["affiliate", "offer"])).json["table"]
    for partner in (seeded["ann"], seeded["bob"]):
        own = client.post("/v1/affiliates/reporting/entity/table", json=report_body(["offer"]),
                          headers={"X-Eflow-API-Key": issue(partner)}).json
        for row in own["table"]:
            offer_id = row["columns"][0]["id"]
            mine = _row(network_rows, affiliate=partner.id, offer=offer_id)
            assert mine["payout"] == row["reporting"]["revenue"] and mine["cv"] == row["reporting"]["cv"]
            assert mine["total_click"] == row["reporting"]["total_click"]


def test_report_by_advertiser_and_with_an_advertiser_filter(network, seeded):
    table = network("POST", TABLE, report_body(["advertiser"])).json["table"]
    assert _row(table, advertiser=seeded["acme"].id)["revenue"] == 40.01
    assert _row(table, advertiser=seeded["zen"].id)["revenue"] == 18.01
    only = network("POST", TABLE, report_body(["affiliate"], filters=[
        {"resource_type": "advertiser", "filter_id_value": seeded["zen"].id}])).json
    assert only["summary"]["revenue"] == 18.01 and only["summary"]["payout"] == 13.5


def test_report_with_an_affiliate_filter_is_that_affiliates(network, seeded):
    body = network("POST", TABLE, report_body(["offer", "date"], filters=[
        {"resource_type": "affiliate", "filter_id_value": str(seeded["bob"].id)}])).json
    assert body["summary"]["payout"] == 6.5 and body["summary"]["total_click"] == 3


@pytest.mark.parametrize("columns", [["affiliate"], ["advertiser", "date"], ["affiliate", "offer", "sub1"],
                                     ["country"], ["affiliate", "hour"]])
def test_rollups_and_raw_rows_give_the_same_network_report(network, seeded, monkeypatch, columns):
    from portal.queries import network_reports

    first = network("POST", TABLE, report_body(columns)).json
    monkeypatch.setattr(network_reports, "rollups_can_answer", lambda *args: False)
    assert network("POST", TABLE, report_body(columns)).json == first and first["table"]


@pytest.mark.parametrize("timezone_id", [UTC_ID, 80, 31])  # UTC, New York (DST ends in the window), Kolkata
@pytest.mark.parametrize("columns", [["date"], ["hour"], ["week"], ["offer", "month"], ["date", "sub1"]])
def test_an_affiliates_network_report_by_period_is_its_own_report(network, seeded, client, issue, monkeypatch,
                                                                   columns, timezone_id):
    """What upstream mode asks: the affiliate filter and a time column. Rollups (whole-hour zones) and raw
    rows (Kolkata, or forced) give the partner's own figures, period by period."""
    from portal.queries import network_reports

    ann = seeded["ann"]
    mine = [{"resource_type": "affiliate", "filter_id_value": str(ann.id)}]
    body = network("POST", TABLE, report_body(columns, filters=mine, timezone_id=timezone_id)).json
    own = client.post("/v1/affiliates/reporting/entity/table", json=report_body(columns, timezone_id=timezone_id),
                      headers={"X-Eflow-API-Key": issue(ann)}).json

    def figures(table, money):
        return sorted((tuple(c["id"] for c in row["columns"]),
                       (row["reporting"][money], row["reporting"]["cv"], row["reporting"]["total_click"]))
                      for row in table)

    assert figures(body["table"], "payout") == figures(own["table"], "revenue") and body["table"]
    assert body["summary"]["payout"] == own["summary"]["revenue"] == 32.83
    monkeypatch.setattr(network_reports, "rollups_can_answer", lambda *args: False)
    assert network("POST", TABLE, report_body(columns, filters=mine, timezone_id=timezone_id)).json == body


@pytest.mark.parametrize("body,field", [
    ({"from": "2026-11-01", "to": "2026-11-30"}, "columns"),
    (report_body(["nope"]), "columns"),
    (report_body(["affiliate", "affiliate"]), "columns"),
    (report_body(["affiliate"], filters=[{"resource_type": "affiliate", "filter_id_value": "x"}]), "filters"),
    (report_body(["affiliate"], start="2026-12-01"), "from"),
])
def test_bad_report_bodies_are_400_naming_the_field(network, body, field):
    response = network("POST", TABLE, body)
    assert response.status_code == 400 and response.json["error"].startswith(field)


# --- conversions and clicks -------------------------------------------------------------------------------


def test_conversion_search_carries_payout_revenue_and_the_affiliate(network, seeded):
    body = network("POST", CONVERSIONS + "?page=1&page_size=2", {
        "from": "2026-11-01", "to": "2026-11-30", "timezone_id": UTC_ID, "show_conversions": True,
        "show_events": False, "query": {"filters": [{"resource_type": "affiliate",
                                                     "filter_id_value": seeded["ann"].id}]}}).json
    assert body["paging"] == {"page": 1, "page_size": 2, "total_count": 3}
    assert len(body["conversions"]) == 2
    assert all(c["network_affiliate_id"] == seeded["ann"].id for c in body["conversions"])
    one = body["conversions"][0]
    got = network("GET", f"{CONVERSIONS}/{one['conversion_id']}").json
    assert got == one and {"payout", "revenue", "network_offer_id", "network_advertiser_id"} <= set(got)


def test_an_unknown_conversion_or_click_is_404(network, db):
    for path in (f"{CONVERSIONS}/nope", f"{CONVERSIONS}/{'x' * 500}", "/v1/networks/reporting/clicks/nope",
                 "/v1/networks/reporting/clicks/%ED%A0%80"):
        response = network("GET", path)
        assert response.status_code == 404 and response.json == {"error": "Not found"}


def test_click_stream_and_one_click(network, seeded):
    body = network("POST", CLICKS, {"from": "2026-11-09 00:00:00", "to": "2026-11-12 00:00:00",
                                    "timezone_id": UTC_ID}).json
    assert len(body["clicks"]) == 8 and body["incomplete_results"] is False
    only = network("POST", CLICKS, {"from": "2026-11-09 00:00:00", "to": "2026-11-12 00:00:00", "timezone_id": UTC_ID,
                                    "query": {"filters": [{"resource_type": "affiliate",
                                                           "filter_id_value": seeded["bob"].id}]}}).json["clicks"]
    assert len(only) == 3 and {c["network_affiliate_id"] for c in only} == {seeded["bob"].id}
    got = network("GET", f"/v1/networks/reporting/clicks/{only[0]['transaction_id']}").json
    assert got["transaction_id"] == only[0]["transaction_id"] and got["network_affiliate_id"] == seeded["bob"].id


# --- affiliates, offers, network, tracking links ----------------------------------------------------------


def test_affiliates_table_and_one_affiliate(network, seeded):
    for path in ("/v1/networks/affiliatestable?page=1&page_size=1", "/v1/networks/affiliates/table?page=1&page_size=1"):
        body = network("POST", path, {"filters": {"account_status": "active"}}).json
        assert body["paging"]["total_count"] >= 2 and len(body["affiliates"]) == 1
    found = network("POST", "/v1/networks/affiliatestable", {
        "search_terms": [{"search_type": "name", "value": "ann med"}], "paging": {"page": 1, "page_size": 5}}).json
    assert [a["network_affiliate_id"] for a in found["affiliates"]] == [seeded["ann"].id]
    assert found["paging"] == {"page": 1, "page_size": 5, "total_count": 1}
    got = network("GET", f"/v1/networks/affiliates/{seeded['ann'].id}").json
    assert got["network_affiliate_id"] == seeded["ann"].id and got["name"] == "Ann Media"
    assert network("GET", "/v1/networks/affiliates/999999").status_code == 404
    assert network("GET", "/v1/networks/affiliates/99999999999999999999").status_code == 404


def test_offers_table_and_one_offer_with_its_advertiser(network, seeded):
    body = network("POST", "/v1/networks/offerstable", {"filters": {"network_advertiser_id": seeded["zen"].id}}).json
    assert [o["network_offer_id"] for o in body["offers"]] == [seeded["tea"].id]
    both = network("POST", "/v1/networks/offers/table", {"filters": {"network_advertiser_ids": [
        seeded["zen"].id, seeded["acme"].id], "offer_status": "active"}, "paging": {"page": 1, "page_size": 10}}).json
    assert {o["network_offer_id"] for o in both["offers"]} == {seeded["tea"].id, seeded["shoes"].id}
    got = network("GET", f"/v1/networks/offers/{seeded['shoes'].id}").json
    assert got["network_advertiser_id"] == seeded["acme"].id
    assert got["relationship"]["advertiser"]["name"] == "Acme Corp"
    assert got["relationship"]["payout_revenue"]["entries"][0]["revenue_amount"] == 20.0
    assert network("GET", "/v1/networks/offers/424242").status_code == 404


def test_tracking_link_for_an_affiliate_and_offer(network, seeded):
    response = network("POST", "/v1/networks/tracking/offers/clicks", {
        "network_affiliate_id": seeded["ann"].id, "network_offer_id": seeded["shoes"].id, "sub1": "news letter"})
    assert response.status_code == 200
    assert response.json["url"].endswith(f"/c/{seeded['ann'].id}/{seeded['shoes'].id}?sub1=news%20letter")
    bad = network("POST", "/v1/networks/tracking/offers/clicks", {"network_affiliate_id": 999999,
                                                                  "network_offer_id": seeded["shoes"].id})
    assert bad.status_code == 400 and bad.json["error"].startswith("network_affiliate_id")


# --- pixels -------------------------------------------------------------------------------------------


def test_a_pixel_created_for_an_affiliate_is_that_partners_only(network, seeded, client, issue, db):
    ann, bob = seeded["ann"], seeded["bob"]
    created = network("POST", "/v1/networks/pixels", {
        "network_affiliate_id": ann.id, "delivery_method": "postback", "pixel_level": "global",
        "pixel_type": "conversion", "pixel_status": "active",
        "postback_url": "https://ann.example/pb?tid={transaction_id}"})
    assert created.status_code == 200, created.json
    pixel_id = created.json["network_pixel_id"]
    assert created.json["network_affiliate_id"] == ann.id
    own = client.get(f"/v1/affiliates/pixels/{pixel_id}", headers={"X-Eflow-API-Key": issue(ann)})
    assert own.status_code == 200 and own.json["postback_url"] == "https://ann.example/pb?tid={transaction_id}"
    theirs = client.get(f"/v1/affiliates/pixels/{pixel_id}", headers={"X-Eflow-API-Key": issue(bob)})
    assert theirs.status_code == 404
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "postback.created"))
    assert event.actor_type == "network_key" and event.actor_id == network.key.id

    listed = network("POST", "/v1/networks/pixelstable", {"filters": {"network_affiliate_id": ann.id}}).json
    assert [p["network_pixel_id"] for p in listed["pixels"]] == [pixel_id]
    assert network("POST", "/v1/networks/pixelstable", {"filters": {"network_affiliate_id": bob.id}}).json[
        "pixels"] == []
    everflows = network("POST", "/v1/networks/pixelstable?page=1&page_size=10", {"query": {
        "filters": {"network_affiliate_ids": [ann.id, bob.id], "offer_status": "active"},
        "search_terms": [{"search_type": "payload", "value": "ANN.example"}]}}).json
    assert [p["network_pixel_id"] for p in everflows["pixels"]] == [pixel_id]
    assert everflows["paging"] == {"page": 1, "page_size": 10, "total_count": 1}
    updated = network("PUT", f"/v1/networks/pixels/{pixel_id}", {
        "network_affiliate_id": ann.id, "pixel_level": "global", "pixel_status": "inactive",
        "postback_url": "https://ann.example/v2?tid={transaction_id}"})
    assert updated.status_code == 200 and updated.json["pixel_status"] == "inactive"
    moved = network("PUT", f"/v1/networks/pixels/{pixel_id}", {"network_affiliate_id": bob.id,
                                                               "postback_url": "https://x.example/"})
    assert moved.status_code == 400
    assert network("DELETE", f"/v1/networks/pixels/{pixel_id}").json == {"result": True}
    assert network("GET", f"/v1/networks/pixels/{pixel_id}").status_code == 404
    assert network("DELETE", f"/v1/networks/pixels/{pixel_id}").status_code == 404


@pytest.mark.parametrize("url", ["http://127.0.0.1/pb", "http://169.254.169.254/latest/meta-data",
                                 "http://localhost:8080/pb", "ftp://ann.example/pb", "https://ann.example/{nope}"])
def test_network_pixels_follow_the_ssrf_safe_rules(network, seeded, url):
    response = network("POST", "/v1/networks/pixels", {"network_affiliate_id": seeded["ann"].id,
                                                       "pixel_level": "global", "postback_url": url})
    assert response.status_code == 400 and response.json["error"].startswith("postback_url")


def test_network_pixels_work_when_partner_self_service_is_off(network, seeded, db):
    from portal.queries.settings import network_settings

    network_settings().partner_postbacks_enabled = False
    db.session.commit()
    response = network("POST", "/v1/networks/pixels", {"network_affiliate_id": seeded["ann"].id,
                                                       "postback_url": "https://ann.example/pb"})
    assert response.status_code == 200


def test_pixel_create_needs_a_known_affiliate(network, db):
    response = network("POST", "/v1/networks/pixels", {"network_affiliate_id": 424242, "postback_url": "https://a.example/"})
    assert response.status_code == 400 and response.json["error"].startswith("network_affiliate_id")
    assert network("POST", "/v1/networks/pixels", data="nope", content_type="text/plain").status_code == 415
