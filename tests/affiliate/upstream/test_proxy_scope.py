"""The proxy is the scope: every upstream call carries the partner's affiliate, every object is checked.

The upstream here is a real HTTP listener playing scripted answers (tests/affiliate/upstream/scripted.py);
the portal side is the real app, database, API key and pages.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from portal.affiliate.reporting import EXPORT_BATCH_ROWS
from portal.domain.errors import UpstreamRefused
from portal.exports.tabular import RowCountMismatch
from tests.affiliate.upstream.scripted import Answer

AFFILIATE = 7
OTHER = 8
BODY = {"from": "2026-11-01", "to": "2026-11-30", "timezone_id": 67}




@pytest.fixture
def app(upstream_app):
    return upstream_app


def conversion(affiliate: int, conversion_id: str = "c1", payout: float = 12.5) -> dict:
    return {"conversion_id": conversion_id, "network_affiliate_id": affiliate, "network_offer_id": 3,
            "conversion_unix_timestamp": 1794182400, "status": "approved", "payout": payout, "revenue": 99.0,
            "profit": 86.5, "payout_type": "cpa", "sub1": "=cmd|' /C calc'!A0",
            "relationship": {"offer": {"network_offer_id": 3, "name": "Shoes"},
                             "advertiser": {"name": "Acme Advertiser"}}}


def call(client, method, path, key, body=None):
    return client.open(path, method=method, json=body, headers={"X-Eflow-API-Key": key})


def affiliate_filters(seen) -> list:
    return [f for f in (seen.body or {}).get("query", {}).get("filters", []) if f["resource_type"] == "affiliate"]


def test_another_affiliates_conversion_is_a_404_and_the_partners_own_is_shown_without_network_fields(
        client, upstream, linked):
    _, key = linked
    upstream.script(Answer(200, conversion(OTHER)))
    assert call(client, "GET", "/v1/affiliates/reporting/conversions/c1", key).status_code == 404
    upstream.script(Answer(200, conversion(AFFILIATE)))
    own = call(client, "GET", "/v1/affiliates/reporting/conversions/c1", key)
    assert own.status_code == 200, own.json
    assert own.json["revenue"] == 12.5  # the upstream's payout is the partner's revenue
    text = own.get_data(as_text=True)
    assert "99" not in text and "86.5" not in text and "Acme Advertiser" not in text and "profit" not in text
    assert upstream.seen[-1].path == "/v1/networks/reporting/conversions/c1"


def test_a_search_carries_the_partners_affiliate_and_a_foreign_row_fails_the_answer(client, upstream, linked):
    _, key = linked
    upstream.script(Answer(200, {"conversions": [conversion(AFFILIATE)], "paging": {"total_count": 1}}))
    ok = call(client, "POST", "/v1/affiliates/reporting/conversions", key, BODY)
    assert ok.status_code == 200 and ok.json["paging"]["total_count"] == 1
    assert affiliate_filters(upstream.seen[-1]) == [{"resource_type": "affiliate", "filter_id_value": "7"}]
    body = dict(BODY, query={"filters": [{"resource_type": "affiliate", "filter_id_value": "8"}]})
    forced = call(client, "POST", "/v1/affiliates/reporting/conversions", key, body)
    assert forced.status_code == 400  # the partner never chooses an affiliate
    upstream.script(Answer(200, {"conversions": [conversion(AFFILIATE), conversion(OTHER, "c2")],
                                 "paging": {"total_count": 2}}))
    leaked = call(client, "POST", "/v1/affiliates/reporting/conversions", key, BODY)
    assert leaked.status_code == 502 and "another affiliate" in leaked.json["error"]
    assert "c2" not in leaked.get_data(as_text=True)


def test_the_report_maps_payout_to_revenue_and_drops_network_metrics(client, upstream, linked):
    _, key = linked
    upstream.script(Answer(200, {"table": [{"columns": [{"column_type": "offer", "id": "3", "label": "Shoes"},
                                                        {"column_type": "affiliate", "id": "7", "label": "Me"}],
                                            "reporting": {"total_click": 10, "cv": 2, "payout": 25.0,
                                                          "revenue": 80.0, "profit": 55.0, "margin": 68.75}}],
                                 "incomplete_results": False}))
    body = dict(BODY, currency_id="USD", columns=[{"column": "offer"}], query={"filters": []})
    report = call(client, "POST", "/v1/affiliates/reporting/entity/table", key, body)
    assert report.status_code == 200, report.json
    row = report.json["table"][0]
    assert row["reporting"]["revenue"] == 25.0 and row["reporting"]["total_click"] == 10
    assert "profit" not in report.get_data(as_text=True) and "80" not in report.get_data(as_text=True)
    assert [c["column_type"] for c in row["columns"]] == ["offer"]  # the affiliate column, asked for the check
    assert upstream.seen[-1].body["columns"] == [{"column": "offer"}, {"column": "affiliate"}]
    assert affiliate_filters(upstream.seen[-1]) == [{"resource_type": "affiliate", "filter_id_value": "7"}]


EXPORT = "/v1/networks/reporting/conversions/export"


def export_body(rows: list[dict]) -> bytes:
    return json.dumps(rows).encode()


def test_the_export_is_one_streamed_request_with_the_affiliate_and_the_upstreams_count(client, upstream, linked):
    _, key = linked
    rows = [conversion(AFFILIATE, f"c{n}") for n in range(5)]
    upstream.route("POST", EXPORT, Answer(200, raw=export_body(rows), headers={"X-Row-Count": "5"}))
    upstream.script(Answer(500))  # any other call would fail the export
    csv = call(client, "POST", "/v1/affiliates/reporting/conversions/export", key, dict(BODY, format="csv"))
    assert csv.status_code == 200, csv.data[:300]
    frame = pd.read_csv(io.BytesIO(csv.data), keep_default_na=False)
    assert list(frame["conversion_id"]) == [f"c{n}" for n in range(5)] and set(frame["payout"]) == {12.5}
    assert set(frame["sub1"]) == {"'=cmd|' /C calc'!A0"}
    text = csv.get_data(as_text=True)
    assert "99" not in text and "86.5" not in text and "Acme Advertiser" not in text
    [seen] = upstream.seen
    assert (seen.method, seen.path, seen.body["format"]) == ("POST", EXPORT, "json")
    assert affiliate_filters(seen) == [{"resource_type": "affiliate", "filter_id_value": "7"}]


def test_without_a_row_count_header_the_search_total_is_the_count(client, upstream, linked):
    _, key = linked
    rows = [conversion(AFFILIATE, f"c{n}") for n in range(3)]
    upstream.route("POST", EXPORT, Answer(200, raw=export_body(rows)))
    upstream.script(Answer(200, {"conversions": rows[:1], "paging": {"total_count": 3}}))
    answer = call(client, "POST", "/v1/affiliates/reporting/conversions/export", key, dict(BODY, format="json"))
    assert answer.status_code == 200 and len(answer.json) == 3
    assert [s.path for s in upstream.seen] == [EXPORT, "/v1/networks/reporting/conversions"]
    upstream.script(Answer(200, {"conversions": rows[:1], "paging": {"total_count": 4}}))  # one row goes missing
    short = client.post("/v1/affiliates/reporting/conversions/export", json=dict(BODY, format="csv"),
                        headers={"X-Eflow-API-Key": key}, buffered=False)
    assert short.status_code == 200
    with pytest.raises(RowCountMismatch):
        b"".join(short.response)


@pytest.mark.parametrize("where", [0, EXPORT_BATCH_ROWS + 1])
def test_a_foreign_row_in_the_export_fails_it(client, upstream, linked, where):
    _, key = linked
    rows = [conversion(AFFILIATE, f"c{n}") for n in range(EXPORT_BATCH_ROWS + 2)]
    rows[where] = conversion(OTHER, "theirs", payout=77.7)
    upstream.route("POST", EXPORT, Answer(200, raw=export_body(rows), headers={"X-Row-Count": str(len(rows))}))
    answer = client.post("/v1/affiliates/reporting/conversions/export", json=dict(BODY, format="csv"),
                         headers={"X-Eflow-API-Key": key}, buffered=False)
    if where == 0:  # before the first byte: a clear refusal
        assert answer.status_code == 502 and "another affiliate" in answer.json["error"]
        return
    with pytest.raises(UpstreamRefused):  # after it: the download breaks off
        b"".join(answer.response)


@pytest.mark.parametrize("raw", [b'{"conversions": []}', b"[", b'[{"conversion_id": "c1"', b"[1, 2]", b"\xff\xfe",
                                 b'[{"network_affiliate_id": 7}] [', b"<html>"])
def test_an_unreadable_export_fails_it(client, upstream, linked, raw):
    _, key = linked
    upstream.route("POST", EXPORT, Answer(200, raw=raw, headers={"X-Row-Count": "1"}))
    answer = client.post("/v1/affiliates/reporting/conversions/export", json=dict(BODY, format="csv"),
                         headers={"X-Eflow-API-Key": key}, buffered=False)
    if answer.status_code == 200:
        with pytest.raises((UpstreamRefused, RowCountMismatch)):
            b"".join(answer.response)
    else:
        assert answer.status_code == 502


@pytest.mark.parametrize("missing", [404, 405])
def test_an_upstream_without_the_export_is_paged_through(client, upstream, linked, missing):
    _, key = linked
    upstream.route("POST", EXPORT, Answer(missing, {"error": "Not found"}))
    upstream.script(Answer(200, {"conversions": [conversion(AFFILIATE, f"c{n}") for n in range(3)],
                                 "paging": {"total_count": 3}}))
    csv = call(client, "POST", "/v1/affiliates/reporting/conversions/export", key, dict(BODY, format="csv"))
    assert csv.status_code == 200, csv.data[:300]
    frame = pd.read_csv(io.BytesIO(csv.data), keep_default_na=False)
    assert len(frame) == 3 and set(frame["sub1"]) == {"'=cmd|' /C calc'!A0"}
    assert "99" not in csv.get_data(as_text=True)
    assert [s.path for s in upstream.seen] == [EXPORT, "/v1/networks/reporting/conversions"]
    assert all(affiliate_filters(s) == [{"resource_type": "affiliate", "filter_id_value": "7"}]
               for s in upstream.seen)


def test_another_affiliates_pixel_is_a_404_and_is_never_changed(client, upstream, linked):
    _, key = linked
    pixel = {"network_pixel_id": 5, "network_affiliate_id": OTHER, "network_offer_id": 0, "pixel_level": "global",
             "delivery_method": "postback", "pixel_type": "conversion", "pixel_status": "active",
             "postback_url": "https://other.example/?t={transaction_id}"}
    upstream.script(Answer(200, pixel))
    assert call(client, "GET", "/v1/affiliates/pixels/5", key).status_code == 404
    assert call(client, "DELETE", "/v1/affiliates/pixels/5", key).status_code == 404
    assert [s.method for s in upstream.seen] == ["GET", "GET"]  # no DELETE ever reached the upstream


def test_a_new_pixel_is_made_for_the_partners_affiliate(client, upstream, linked):
    _, key = linked
    created = {"network_pixel_id": 11, "network_affiliate_id": AFFILIATE, "network_offer_id": 0,
               "pixel_level": "global", "delivery_method": "postback", "pixel_type": "conversion",
               "pixel_status": "active", "postback_url": "https://me.example/?t={transaction_id}"}
    upstream.route("POST", "/v1/networks/pixelstable", Answer(200, {"pixels": []}))
    upstream.route("GET", "/v1/networks/pixels/11", Answer(200, created))
    upstream.script(Answer(200, created))
    answer = call(client, "POST", "/v1/affiliates/pixels", key,
                  {"delivery_method": "postback", "pixel_level": "global", "pixel_status": "active",
                   "pixel_type": "conversion", "postback_url": "https://me.example/?t={transaction_id}"})
    assert answer.status_code == 201, answer.json
    posted = [s for s in upstream.seen if s.method == "POST" and s.path == "/v1/networks/pixels"]
    assert len(posted) == 1 and posted[0].body["network_affiliate_id"] == AFFILIATE


def test_the_upstream_down_is_a_503_with_retry_after_on_the_api_and_the_pages(client, upstream, linked, make,
                                                                               login_as):
    partner, key = linked
    upstream.script(Answer(503, {"error": "down"}, headers={"Retry-After": "20"}))
    api = call(client, "POST", "/v1/affiliates/reporting/conversions", key, BODY)
    assert api.status_code == 503 and api.headers["Retry-After"] == "20" and "error" in api.json
    login_as.partner(make.partner_user(partner))
    page = client.get("/conversions")
    assert page.status_code == 503 and page.headers["Retry-After"] == "20"
    assert "not answering" in page.get_data(as_text=True)


def test_what_the_platform_does_not_serve_is_said_not_shown_empty(client, upstream, linked, make, login_as):
    partner, key = linked
    coupons = call(client, "GET", "/v1/affiliates/couponcodes", key)
    assert coupons.status_code == 501
    assert coupons.json == {"error": "Coupon codes is not available from the network's tracking platform"}
    login_as.partner(make.partner_user(partner))
    page = client.get("/offers/coupon-codes")
    assert page.status_code == 200 and "not available from the network&#39;s tracking platform" in page.get_data(
        as_text=True)


def test_traffic_controls_are_not_served_upstream_and_say_so(client, upstream, linked, make, login_as):
    partner, key = linked
    for path in ("/trafficcontrols", "/trafficcontrols/1", "/trafficblocking"):
        answer = call(client, "GET", "/v1/affiliates" + path, key)
        assert answer.status_code == 501, path
        assert answer.json == {"error": "Traffic controls is not available from the network's tracking platform"}
    assert upstream.seen == []  # nothing was asked of the platform
    login_as.partner(make.partner_user(partner))
    page = client.get("/traffic-rules")
    assert page.status_code == 200 and "not available from the network&#39;s tracking platform" in page.get_data(
        as_text=True)


def test_a_partner_not_linked_yet_sees_a_message_not_data(client, upstream, make, issue, login_as):
    partner = make.partner()
    key = issue(partner)
    answer = call(client, "POST", "/v1/affiliates/reporting/conversions", key, BODY)
    assert answer.status_code == 501 and "not linked" in answer.json["error"]
    assert upstream.seen == []  # nothing was asked without an affiliate to ask for
    login_as.partner(make.partner_user(partner))
    page = client.get("/conversions")
    assert "not linked to the network" in page.get_data(as_text=True)


PAGES = ("/", "/reports", "/conversions", "/conversions/on-hold", "/clicks/lookup?transaction_id=abc", "/offers",
         "/offers/coupon-codes", "/offers/3", "/postbacks", "/postbacks/new", "/postbacks/5", "/postbacks/5/log",
         "/account", "/account/api", "/account/users", "/billing", "/reports/export.csv", "/conversions/export.csv")


@pytest.mark.parametrize("answer", [Answer(200, {}), Answer(503, {"error": "down"}),
                                    Answer(200, {"table": [{"columns": [], "reporting": {}}],
                                                 "conversions": [conversion(OTHER)], "pixels": "x",
                                                 "offers": [{"network_offer_id": 3, "visibility": "private"}]})])
def test_every_partner_page_answers_without_a_server_error(client, upstream, linked, make, login_as, answer):
    partner, _ = linked
    upstream.script(answer)
    login_as.partner(make.partner_user(partner))
    for path in PAGES:
        response = client.get(path)
        response.get_data()  # streamed downloads run to their end
        response.close()
        assert response.status_code < 500 or (response.status_code in (502, 503) and response.headers.get(
            "Retry-After")), (path, response.status_code)


def test_a_slow_upstream_is_cut_off_at_the_timeout_with_a_503(client, upstream, linked):
    import time

    _, key = linked
    upstream.script(Answer(200, {"conversions": [], "paging": {"total_count": 0}}, delay=4))
    started = time.monotonic()
    answer = call(client, "POST", "/v1/affiliates/reporting/conversions", key, BODY)
    assert time.monotonic() - started < 2.5  # UPSTREAM_TIMEOUT is 1.5 seconds, retries included
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) >= 1


API_CALLS = [("GET", "/v1/affiliates/affiliate", None), ("GET", "/v1/affiliates/network", None),
             ("POST", "/v1/affiliates/reporting/entity/table", dict(BODY, columns=[{"column": "date"}])),
             ("POST", "/v1/affiliates/reporting/entity/table/export", dict(BODY, columns=[{"column": "offer"}])),
             ("POST", "/v1/affiliates/reporting/conversions", BODY),
             ("POST", "/v1/affiliates/reporting/conversions/export", BODY),
             ("GET", "/v1/affiliates/reporting/conversions/c1", None), ("POST", "/v1/affiliates/reporting/onhold", BODY),
             ("POST", "/v1/affiliates/reporting/clicks/stream", dict(BODY, to="2026-11-10")),
             ("GET", "/v1/affiliates/reporting/clicks/t1", None), ("POST", "/v1/affiliates/dashboard/summary", {}),
             ("GET", "/v1/affiliates/pixels", None), ("GET", "/v1/affiliates/pixels/5", None),
             ("GET", "/v1/affiliates/pixels/5/deliveries", None), ("POST", "/v1/affiliates/pixels/5/test", {}),
             ("GET", "/v1/affiliates/alloffers", None), ("GET", "/v1/affiliates/offersrunnable", None),
             ("GET", "/v1/affiliates/offers/3", None), ("GET", "/v1/affiliates/offers/3/url/0", None),
             ("GET", "/v1/affiliates/offers/3/impressionurl/0", None),
             ("POST", "/v1/affiliates/offers/3/trackingurl", {"sub1": "x"}),
             ("POST", "/v1/affiliates/offers/3/application", {"note": "hi"}), ("GET", "/v1/affiliates/couponcodes", None),
             ("GET", "/v1/affiliates/productfeeds", None), ("GET", "/v1/affiliates/offers/3/thumbnail", None)]


@pytest.mark.parametrize("answer", [Answer(200, {}), Answer(429, {"error": "slow down"}, {"Retry-After": "7"}),
                                    Answer(200, {"offers": [{"network_offer_id": 3, "name": "Shoes",
                                                             "offer_status": "active", "visibility": "public"}],
                                                 "url": "javascript:alert(1)", "pixels": [{"network_affiliate_id": 8}],
                                                 "network_affiliate_id": OTHER, "table": "x"})])
def test_every_api_call_answers_in_json_without_a_server_error(client, upstream, linked, answer):
    _, key = linked
    upstream.script(answer)
    for method, path, body in API_CALLS:
        response = call(client, method, path, key, body)
        response.get_data()
        assert response.status_code < 500 or response.status_code in (501, 502, 503), (path, response.status_code)
        if response.status_code >= 400:
            assert set(response.json) == {"error"}, (path, response.json)
        if response.status_code in (502, 503):
            assert int(response.headers["Retry-After"]) >= 1
