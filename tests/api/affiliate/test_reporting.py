"""Reporting through the Affiliate API: the partner's own numbers, in Everflow's shapes, within the limits."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from portal.models import Click, ReportRollup
from portal.queries import reports as report_queries
from portal.services import rollups
from portal.services.offer_access import set_payout_override

TABLE = "/v1/affiliates/reporting/entity/table"
CONVERSIONS = "/v1/affiliates/reporting/conversions"
ON_HOLD = "/v1/affiliates/reporting/onhold"
CLICKS = "/v1/affiliates/reporting/clicks/stream"
SUMMARY = "/v1/affiliates/dashboard/summary"
DAY = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
UTC_ID, LOS_ANGELES_ID = 67, 90


@pytest.fixture
def app(unbudgeted_app):
    return unbudgeted_app


@pytest.fixture
def post(client, issue, make):
    """post(path, body, key=…) → response; a key for a fresh partner is made on first use."""
    state = {}

    def _post(path, body, key=None, query=""):
        if key is None:
            key = state.setdefault("key", issue(state.setdefault("partner", make.partner())))
        return client.post(path + query, json=body, headers={"X-Eflow-API-Key": key})

    _post.state = state
    return _post


def report_body(columns, start="2026-11-01", end="2026-11-30", tz=UTC_ID, **extra):
    return {"from": start, "to": end, "timezone_id": tz, "currency_id": "USD",
            "columns": [{"column": c} for c in columns], "query": {"filters": extra.pop("filters", [])}, **extra}


@pytest.fixture
def traffic(make, issue):
    """Two partners on two offers; returns (partner, key, offers, other partner, other key)."""
    mine, theirs = make.partner(), make.partner()
    offers = [make.offer(name="Acme Shoes"), make.offer(name="Zen Tea")]
    for n in range(6):
        make.click(mine, offers[0], at=DAY, sub1="spring_email")
    for n in range(4):
        make.click(mine, offers[1], at=DAY + timedelta(days=1), sub1="summer_push", is_unique=n < 2)
    make.conversion(mine, offers[0], at=DAY, payout_cents=1250, sub1="spring_email")
    make.conversion(mine, offers[0], at=DAY, payout_cents=750, sub1="spring_email", status="pending")
    make.conversion(mine, offers[0], at=DAY, payout_cents=999, sub1="spring_email", status="rejected")
    make.conversion(mine, offers[1], at=DAY + timedelta(days=1), payout_cents=300, sub1="summer_push",
                    event_name="upsell")
    make.conversion(mine, offers[1], at=DAY + timedelta(days=1), payout_cents=400, sub1="summer_push",
                    status="on_hold", hold_until=DAY + timedelta(days=30))
    make.conversion(mine, offers[0], at=DAY, payout_cents=5000, sub1="spring_email", is_test=True)
    # Impressions and invalid clicks: neither is a click (total_click), nor earns.
    for n in range(3):
        make.impression(mine, offers[0], at=DAY, sub1="spring_email", country="DE", is_test=n == 2)
    make.click(mine, offers[1], at=DAY + timedelta(days=1), sub1="summer_push", error_code=3,
               error_message="offer is paused")
    for _ in range(9):
        make.click(theirs, offers[0], at=DAY, sub1="spring_email")
    make.conversion(theirs, offers[0], at=DAY, payout_cents=7777, sub1="spring_email")
    return mine, issue(mine), offers, theirs, issue(theirs)


def rows_by(response, column):
    assert response.status_code == 200, response.json
    return {next(c["label"] for c in row["columns"] if c["column_type"] == column): row["reporting"]
            for row in response.json["table"]}


def test_the_sub_id_report_counts_the_partners_own_traffic(post, traffic):
    _, key, *_ = traffic
    rows = rows_by(post(TABLE, report_body(["sub1"]), key=key), "sub1")
    spring, summer = rows["spring_email"], rows["summer_push"]
    assert (spring["total_click"], spring["unique_click"], spring["cv"], spring["revenue"]) == (6, 6, 2, 20.0)
    assert (summer["total_click"], summer["unique_click"], summer["duplicate_click"]) == (4, 2, 2)
    assert (summer["cv"], summer["event"], summer["revenue"]) == (0, 1, 3.0)
    assert (summer["on_hold_conversion_count"], summer["on_hold_potential_revenue"]) == (1, 4.0)
    assert spring["cvr"] == pytest.approx(100 * 2 / 6, abs=1e-3) and spring["rpc"] == pytest.approx(20 / 6, abs=1e-3)
    # Everflow's ctr is clicks per 100 impressions; rpm the earnings per thousand impressions.
    assert (spring["imp"], spring["invalid_click"], spring["ctr"], spring["rpm"]) == (2, 0, 300.0, 10_000.0)
    assert (summer["imp"], summer["invalid_click"], summer["ctr"], summer["rpm"]) == (0, 1, 0.0, 0.0)


def test_the_summary_equals_the_sum_of_the_rows_and_excludes_other_partners(post, traffic):
    _, key, *_ = traffic
    response = post(TABLE, report_body(["offer"]), key=key)
    table, summary = response.json["table"], response.json["summary"]
    assert summary["total_click"] == sum(r["reporting"]["total_click"] for r in table) == 10
    assert summary["revenue"] == pytest.approx(sum(r["reporting"]["revenue"] for r in table)) == 23.0
    assert response.json["incomplete_results"] is False
    assert {c["label"] for r in table for c in r["columns"]} == {"Acme Shoes", "Zen Tea"}
    assert "77.77" not in response.get_data(as_text=True)


def test_test_conversions_count_only_when_asked_for(post, traffic):
    _, key, *_ = traffic
    plain = rows_by(post(TABLE, report_body(["sub1"]), key=key), "sub1")
    with_test = rows_by(post(TABLE, report_body(["sub1"], include_test_data=True), key=key), "sub1")
    assert with_test["spring_email"]["cv"] == plain["spring_email"]["cv"] + 1
    assert with_test["spring_email"]["revenue"] == plain["spring_email"]["revenue"] + 50


@pytest.mark.parametrize("columns", [["date"], ["offer"], ["sub1"], ["month", "offer"], ["offer", "sub1", "week"],
                                     ["hour"], ["year"]])
def test_rollups_and_raw_rows_give_the_same_report(post, traffic, monkeypatch, columns):
    _, key, *_ = traffic
    body = report_body(columns, include_test_data=True)
    from_rollups = post(TABLE, body, key=key).json
    monkeypatch.setattr(report_queries, "rollups_can_answer", lambda *args: False)
    from_raw = post(TABLE, body, key=key).json
    assert from_rollups == from_raw and from_rollups["table"]


@pytest.mark.parametrize("column", ["country", "sub2", "source_id"])
def test_raw_row_reports_count_impressions_where_impressions_have_the_column(post, traffic, column):
    _, key, *_ = traffic
    summary = post(TABLE, report_body([column]), key=key).json["summary"]
    assert (summary["imp"], summary["invalid_click"], summary["total_click"]) == (2, 1, 10)


@pytest.mark.parametrize("column", ["device_type", "coupon_code"])
def test_a_grouping_impressions_cannot_have_counts_none(post, traffic, column):
    _, key, *_ = traffic
    summary = post(TABLE, report_body([column]), key=key).json["summary"]
    assert (summary["imp"], summary["invalid_click"], summary["total_click"]) == (0, 1, 10)


def test_changing_a_cpc_after_the_click_rewrites_no_past_earnings(post, client, make, issue, db, monkeypatch):
    partner, staff = make.partner(), make.staff()
    cpc, overridden = make.offer(payout_type="cpc", payout_amount=40), make.offer(payout_type="cpc", payout_amount=40)
    make.access(partner, overridden, payout_type="cpc", payout_amount=125)
    for offer in (cpc, overridden):  # through the real tracker, which fixes each click's earnings
        assert client.get(f"/c/{partner.id}/{offer.id}", environ_base={"REMOTE_ADDR": "8.8.8.8"}).status_code == 302
    key, today = issue(partner), datetime.now(UTC).date()
    window = {"from": f"{today - timedelta(days=1)} 00:00:00", "to": f"{today + timedelta(days=1)} 00:00:00",
              "timezone_id": UTC_ID}
    reports = [report_body(columns, start=str(today - timedelta(days=1)), end=str(today + timedelta(days=1)))
               for columns in (["offer"], ["country"])]  # from the rollups, and from the raw clicks

    def seen() -> dict:
        stream = post(CLICKS, window, key=key).json["clicks"]
        found = [client.get(f"/v1/affiliates/reporting/clicks/{c['transaction_id']}",
                            headers={"X-Eflow-API-Key": key}).json["revenue"] for c in stream]
        return {"dashboard": post(SUMMARY, {"timezone_id": UTC_ID}, key=key).json["revenue"],
                "stream": sorted((c["revenue_type"], c["revenue"]) for c in stream), "lookup": sorted(found),
                "reports": [post(TABLE, body, key=key).json["summary"]["revenue"] for body in reports]}

    before = seen()
    assert before["stream"] == [("CPC", 0.4), ("CPC", 1.25)] and before["lookup"] == [0.4, 1.25]
    assert before["reports"] == [1.65, 1.65]
    cpc.payout_amount = 75  # staff raise the offer's CPC …
    db.session.commit()
    set_payout_override(partner, overridden, "cpc", Decimal("3.00"), staff)  # … and the partner's override
    assert seen() == before
    set_payout_override(partner, overridden, "flat", Decimal("9.00"), staff)  # not paid per click any more
    assert seen() == before
    written = {(r.hour, r.offer_id): r.earnings_cents for r in db.session.scalars(
        select(ReportRollup).where(ReportRollup.partner_id == partner.id))}
    rollups.rebuild(db.session, [partner.id])
    db.session.commit()
    assert {(r.hour, r.offer_id): r.earnings_cents for r in db.session.scalars(
        select(ReportRollup).where(ReportRollup.partner_id == partner.id))} == written
    assert sorted(written.values()) == [40, 125] and seen() == before


@pytest.mark.parametrize("columns", [["offer"], ["country"], ["date"]])
def test_cpc_clicks_earn_in_reports_with_the_partners_override(post, make, issue, monkeypatch, columns):
    partner, other = make.partner(), make.partner()
    cpc, overridden = make.offer(payout_type="cpc", payout_amount=40), make.offer(payout_type="cpc", payout_amount=40)
    make.access(partner, overridden, payout_type="cpc", payout_amount=125)
    for offer in (cpc, overridden):
        make.click(partner, offer, at=DAY, country="FR")
        make.click(partner, offer, at=DAY, country="FR", is_unique=False)  # a duplicate earns nothing
        make.click(partner, offer, at=DAY, country="FR", error_code=1, error_message="cap")  # nor an invalid one
        make.click(other, offer, at=DAY, country="FR")
    body = report_body(columns)
    from_rollups = post(TABLE, body, key=issue(partner)).json
    monkeypatch.setattr(report_queries, "rollups_can_answer", lambda *args: False)
    from_raw = post(TABLE, body, key=issue(partner)).json
    assert from_rollups == from_raw
    summary = from_raw["summary"]
    assert (summary["revenue"], summary["total_click"], summary["invalid_click"]) == (1.65, 4, 2)
    assert summary["rpc"] == pytest.approx(1.65 / 4)


def test_filters_of_one_type_are_or_and_of_different_types_are_and(post, traffic):
    _, key, offers, *_ = traffic
    either = [{"resource_type": "sub1", "filter_id_value": "spring_email"},
              {"resource_type": "sub1", "filter_id_value": "summer_push"}]
    both = post(TABLE, report_body(["sub1"], filters=either), key=key).json["summary"]
    assert both["total_click"] == 10
    narrowed = either + [{"resource_type": "offer", "filter_id_value": str(offers[1].id)}]
    rows = rows_by(post(TABLE, report_body(["sub1"], filters=narrowed), key=key), "sub1")
    assert set(rows) == {"summer_push"}


def test_a_late_evening_conversion_lands_on_its_local_day(post, make, issue):
    partner = make.partner()
    offer = make.offer()
    make.conversion(partner, offer, at=datetime(2026, 11, 21, 23, 30, tzinfo=UTC))  # 15:30 in Los Angeles
    make.conversion(partner, offer, at=datetime(2026, 11, 22, 3, 30, tzinfo=UTC))  # 19:30 on the 21st there
    key = issue(partner)
    local = rows_by(post(TABLE, report_body(["date"], tz=LOS_ANGELES_ID), key=key), "date")
    utc = rows_by(post(TABLE, report_body(["date"], tz=UTC_ID), key=key), "date")
    assert {d: r["cv"] for d, r in local.items()} == {"2026-11-21": 2}
    assert {d: r["cv"] for d, r in utc.items()} == {"2026-11-21": 1, "2026-11-22": 1}


def test_the_day_clocks_go_back_is_one_local_day_of_25_hours(post, make, issue):
    partner, offer = make.partner(), make.offer()
    for at in (datetime(2026, 11, 1, 7, 30, tzinfo=UTC),  # 00:30 PDT on 1 November
               datetime(2026, 11, 2, 7, 30, tzinfo=UTC),  # 23:30 PST, still 1 November
               datetime(2026, 11, 2, 8, 30, tzinfo=UTC)):  # 00:30 PST on 2 November
        make.conversion(partner, offer, at=at)
    key = issue(partner)
    rows = rows_by(post(TABLE, report_body(["date"], tz=LOS_ANGELES_ID), key=key), "date")
    assert {d: r["cv"] for d, r in rows.items()} == {"2026-11-01": 2, "2026-11-02": 1}


def test_a_zone_with_a_half_hour_offset_is_bucketed_correctly(post, make, issue):
    partner, offer = make.partner(), make.offer()
    make.conversion(partner, offer, at=datetime(2026, 11, 10, 18, 15, tzinfo=UTC))  # 23:45 in Kolkata
    make.conversion(partner, offer, at=datetime(2026, 11, 10, 18, 45, tzinfo=UTC))  # 00:15 on the 11th
    key = issue(partner)
    rows = rows_by(post(TABLE, report_body(["date"], timezone="Asia/Kolkata") | {"timezone_id": None}, key=key),
                   "date")
    assert {d: r["cv"] for d, r in rows.items()} == {"2026-11-10": 1, "2026-11-11": 1}


def test_more_than_ten_thousand_rows_are_cut_and_flagged(post, make, issue, db):
    partner, offer = make.partner(), make.offer()
    db.session.execute(insert(Click.__table__), [
        {"transaction_id": secrets.token_hex(16), "partner_id": partner.id, "offer_id": offer.id, "sub3": f"c{n}",
         "is_unique": True, "is_test": False, "created_at": DAY} for n in range(10_001)])
    rollups.rebuild(db.session, [partner.id])
    db.session.commit()
    body = post(TABLE, report_body(["sub3"]), key=issue(partner)).json
    assert body["incomplete_results"] is True and len(body["table"]) == 10_000
    assert body["summary"]["total_click"] == 10_001


BAD_REPORTS = [
    (report_body(["sub1"], start="2026-11-30", end="2026-11-01"), "from: must not be after to"),
    (report_body(["sub1"], start="2025-01-01", end="2026-06-30"), "to: the range"),
    (report_body(["sub9"]), "columns: unknown column 'sub9'"),
    (report_body(["date", "month"]), "columns: at most one time column"),
    (report_body([]), "columns:"),
    (report_body(["sub1"]) | {"columns": None}, "columns: is required"),
    (report_body(["sub1"], start="2026-13-01"), "from: must be a date"),
    (report_body(["sub1"]) | {"timezone_id": 99999}, "timezone_id: unknown id"),
    (report_body(["sub1"], filters=[{"resource_type": "affiliate", "filter_id_value": "1"}]),
     "query.filters: unknown resource_type"),
    (report_body(["sub1"], filters=[{"resource_type": "status", "filter_id_value": "paid"}]), "status must be"),
    (report_body(["sub1"]) | {"columns": [{"column": "sub1"}] * 11}, "columns: at most 10"),
]


@pytest.mark.parametrize("body, message", BAD_REPORTS)
def test_bad_report_requests_get_400_naming_the_field(post, body, message):
    response = post(TABLE, body)
    assert response.status_code == 400 and message in response.json["error"], response.json


def test_malformed_json_is_400_and_another_media_type_is_415(client, issue, make):
    key = issue(make.partner())
    broken = client.post(TABLE, data='{"from": ', content_type="application/json", headers={"X-Eflow-API-Key": key})
    assert broken.status_code == 400 and broken.json == {"error": "body: malformed JSON"}
    not_json = client.post(TABLE, data="from=2026-11-01", headers={"X-Eflow-API-Key": key})
    assert not_json.status_code == 415 and "application/json" in not_json.json["error"]
    array = client.post(TABLE, data="[]", content_type="application/json", headers={"X-Eflow-API-Key": key})
    assert array.status_code == 400 and array.json == {"error": "body: must be a JSON object"}


def test_conversions_are_paged_with_a_total_and_ordered(post, make, issue):
    partner, offer = make.partner(), make.offer()
    for n in range(7):
        make.conversion(partner, offer, at=DAY + timedelta(minutes=n), payout_cents=100 + n)
    key = issue(partner)
    body = {"from": "2026-11-01", "to": "2026-11-30", "timezone_id": UTC_ID}
    pages = [post(CONVERSIONS, body, key=key, query=f"?page={n}&page_size=3").json for n in (1, 2, 3, 4)]
    assert [len(p["conversions"]) for p in pages] == [3, 3, 1, 0]
    assert all(p["paging"]["total_count"] == 7 for p in pages)
    assert pages[0]["paging"] == {"page": 1, "page_size": 3, "total_count": 7}
    revenues = [c["revenue"] for p in pages for c in p["conversions"]]
    assert revenues == [1.06, 1.05, 1.04, 1.03, 1.02, 1.01, 1.0]  # newest first by default
    ascending = post(CONVERSIONS, body, key=key,
                     query="?order_field=conversion_unix_timestamp&order_direction=asc").json["conversions"]
    assert [c["revenue"] for c in ascending] == sorted(revenues)


@pytest.mark.parametrize("query, message", [("?page_size=2001", "page_size: must be at most 2000"),
                                            ("?page=0", "page: must be a whole number"),
                                            ("?page_size=abc", "page_size: must be a whole number"),
                                            ("?order_field=network_revenue", "order_field: must be one of")])
def test_bad_paging_gets_400(post, query, message):
    response = post(CONVERSIONS, {"from": "2026-11-01", "to": "2026-11-30", "timezone_id": UTC_ID}, query=query)
    assert response.status_code == 400 and message in response.json["error"]


def test_a_conversion_carries_the_partners_fields_and_never_the_networks(post, client, traffic):
    _, key, offers, *_ = traffic
    listed = post(CONVERSIONS, {"from": "2026-11-01", "to": "2026-11-30", "timezone_id": UTC_ID,
                                "query": {"search_terms": [{"search_type": "sub1", "value": "SPRING"}]}}, key=key)
    conversions = listed.json["conversions"]
    assert len(conversions) == 3 and {c["sub1"] for c in conversions} == {"spring_email"}
    one = client.get(f"{CONVERSIONS}/{conversions[0]['conversion_id']}", headers={"X-Eflow-API-Key": key})
    assert one.status_code == 200 and one.json == conversions[0]
    assert one.json["relationship"]["offer"] == {"network_offer_id": offers[0].id, "name": "Acme Shoes"}
    text = listed.get_data(as_text=True)
    assert "network_revenue" not in text and "margin" not in text


def test_another_partners_ids_are_not_found_everywhere(post, client, traffic, db):
    mine, key, offers, theirs, their_key = traffic
    theirs_listed = post(CONVERSIONS, {"from": "2026-11-01", "to": "2026-11-30", "timezone_id": UTC_ID},
                         key=their_key).json["conversions"]
    their_click = post(CLICKS, {"from": "2026-11-10 00:00:00", "to": "2026-11-11 00:00:00", "timezone_id": UTC_ID},
                       key=their_key).json["clicks"][0]
    headers = {"X-Eflow-API-Key": key}
    for path in (f"{CONVERSIONS}/{theirs_listed[0]['conversion_id']}", f"{CONVERSIONS}/no-such-id",
                 f"/v1/affiliates/reporting/clicks/{their_click['transaction_id']}",
                 "/v1/affiliates/reporting/clicks/no-such-click"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404 and response.json == {"error": "Not found"}, path
    searched = post(CONVERSIONS, {"from": "2026-11-01", "to": "2026-11-30", "timezone_id": UTC_ID, "query": {
        "filters": [{"resource_type": "transaction_id", "filter_id_value": theirs_listed[0]["transaction_id"] or "x"}],
    }}, key=key)
    assert searched.json["conversions"] == [] and searched.json["paging"]["total_count"] == 0


def test_an_affiliate_id_in_the_body_is_ignored(post, traffic):
    mine, key, offers, theirs, _ = traffic
    body = report_body(["offer"]) | {"affiliate_id": theirs.id, "network_affiliate_id": theirs.id}
    assert post(TABLE, body, key=key).json["summary"]["total_click"] == 10


def test_the_on_hold_list_shows_the_end_of_the_holding_period(post, traffic):
    _, key, *_ = traffic
    body = {"from": "2026-11-01", "to": "2026-11-30", "timezone_id": UTC_ID, "on_hold_status_filter": "on_hold"}
    items = post(ON_HOLD, body, key=key).json["conversions"]
    assert len(items) == 1 and items[0]["status"] == "on_hold"
    assert items[0]["holding_period_end"] == int((DAY + timedelta(days=30)).timestamp())
    assert items[0]["conversion"]["revenue"] == 4.0
    refused = post(ON_HOLD, body | {"on_hold_status_filter": "paid"}, key=key)
    assert refused.status_code == 400 and "on_hold_status_filter" in refused.json["error"]


def test_the_click_stream_is_capped_at_5000_and_limited_to_14_days(post, make, issue, db):
    partner, offer = make.partner(), make.offer()
    db.session.execute(insert(Click.__table__), [
        {"transaction_id": secrets.token_hex(16), "partner_id": partner.id, "offer_id": offer.id,
         "is_unique": True, "is_test": False, "created_at": DAY + timedelta(seconds=n)} for n in range(5_001)])
    db.session.commit()
    key = issue(partner)
    body = {"from": "2026-11-10 00:00:00", "to": "2026-11-11 00:00:00", "timezone_id": UTC_ID}
    response = post(CLICKS, body, key=key).json
    assert len(response["clicks"]) == 5_000 and response["table"] == response["clicks"]
    assert response["incomplete_results"] is True
    assert response["clicks"][0]["unix_timestamp"] == int((DAY + timedelta(seconds=5_000)).timestamp())
    too_long = post(CLICKS, body | {"to": "2026-11-25 00:00:00"}, key=key)
    assert too_long.status_code == 400 and "14 days" in too_long.json["error"]


def test_a_click_is_found_by_its_transaction_id(post, client, make, issue):
    partner, offer = make.partner(), make.offer(name="Acme Shoes")
    click = make.click(partner, offer, at=DAY, sub2="header", country="DE", device="mobile")
    response = client.get(f"/v1/affiliates/reporting/clicks/{click.transaction_id}",
                          headers={"X-Eflow-API-Key": issue(partner)})
    assert response.status_code == 200
    assert response.json["sub2"] == "header" and response.json["relationship"]["geolocation"]["country_code"] == "DE"
    assert response.json["relationship"]["device_information"]["is_mobile"] is True


def test_a_click_carries_its_region_city_error_creative_and_cpc_earnings(post, client, make, issue):
    partner, offer = make.partner(), make.offer(payout_type="cpc", payout_amount=30)
    make.access(partner, offer, payout_type="cpc", payout_amount=45)
    valid = make.click(partner, offer, at=DAY, country="FR", region="Île-de-France", city="Paris", creative_id=7,
                       offer_url_id=2)
    invalid = make.click(partner, offer, at=DAY + timedelta(seconds=1), error_code=3, error_message="Offer is paused")
    key = issue(partner)
    found = client.get(f"/v1/affiliates/reporting/clicks/{valid.transaction_id}",
                       headers={"X-Eflow-API-Key": key}).json
    geo = found["relationship"]["geolocation"]
    assert (geo["country_code"], geo["region_name"], geo["city_name"]) == ("FR", "Île-de-France", "Paris")
    assert (found["error_code"], found["error_message"], found["creative_id"]) == (0, "", 7)
    assert (found["revenue_type"], found["revenue"]) == ("CPC", 0.45)  # the partner's override
    body = {"from": "2026-11-10 00:00:00", "to": "2026-11-11 00:00:00", "timezone_id": UTC_ID}
    stream = {c["transaction_id"]: c for c in post(CLICKS, body, key=key).json["clicks"]}
    assert stream[valid.transaction_id] == found | {"converted": stream[valid.transaction_id]["converted"]}
    bad = stream[invalid.transaction_id]
    assert (bad["error_code"], bad["error_message"], bad["revenue"]) == (3, "Offer is paused", 0)
    assert bad["relationship"]["geolocation"]["region_name"] == ""


def test_the_dashboard_summary_has_every_card(post, make, issue):
    partner, offer = make.partner(), make.offer()
    make.conversion(partner, offer, payout_cents=2500)
    make.click(partner, offer)
    make.click(partner, offer, error_code=3, error_message="offer is paused")  # invalid: not a `click`
    make.click(partner, make.offer(payout_type="cpc", payout_amount=30))
    make.impression(partner, offer)
    make.impression(partner, offer)
    response = post(SUMMARY, {"timezone_id": UTC_ID}, key=issue(partner))
    assert response.status_code == 200
    assert set(response.json) == {"revenue", "click", "conversion", "cvr", "events", "evr", "impression"}
    assert response.json["revenue"]["today"] == 25.3 and response.json["click"]["current_month"] == 2
    assert response.json["impression"]["today"] == 2
    assert set(response.json["conversion"]) == {"today", "yesterday", "current_month", "last_month",
                                                "trending_percentage"}


def test_the_page_and_the_api_agree_on_parity_of_json_numbers(post, traffic):
    """Money is decimal in JSON; converting back to cents loses nothing."""
    _, key, *_ = traffic
    rows = post(TABLE, report_body(["offer"]), key=key).json["table"]
    assert all(json.loads(json.dumps(r["reporting"]["revenue"])) * 100 == round(r["reporting"]["revenue"] * 100)
               for r in rows)


@pytest.mark.parametrize("odd_id", ["%00", "a%00b", "x" * 65, "%E2%80%8B"])
def test_ids_that_cannot_exist_are_not_found(client, issue, make, odd_id):
    headers = {"X-Eflow-API-Key": issue(make.partner())}
    for path in (f"{CONVERSIONS}/{odd_id}", f"/v1/affiliates/reporting/clicks/{odd_id}"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404 and response.json == {"error": "Not found"}, path


def test_the_conversions_export_holds_every_matching_row(post, make, issue):
    import io

    import pandas as pd

    partner, offer = make.partner(), make.offer(name="=HYPERLINK(\"http://evil\")")
    for n in range(75):
        make.conversion(partner, offer, at=DAY + timedelta(minutes=n), payout_cents=101 + n,
                        sub1="=cmd|' /C calc'!A0" if n == 0 else f"s{n}")
    key = issue(partner)
    body = {"from": "2026-11-01", "to": "2026-11-30", "timezone_id": LOS_ANGELES_ID}
    csv = post("/v1/affiliates/reporting/conversions/export", body | {"format": "csv"}, key=key)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.headers["Content-Disposition"] == 'attachment; filename="conversions_2026-11-01_2026-11-30.csv"'
    frame = pd.read_csv(io.BytesIO(csv.data), keep_default_na=False)
    listed = post(CONVERSIONS, body, key=key).json["paging"]["total_count"]
    assert len(frame) == listed == 75
    assert set(frame["sub1"]) >= {"'=cmd|' /C calc'!A0", "s1"}  # formula-safe
    assert frame["offer_name"].iloc[0].startswith("'=")
    as_json = post("/v1/affiliates/reporting/conversions/export", body | {"format": "json"}, key=key)
    assert as_json.mimetype == "application/json" and len(as_json.json) == 75
    ndjson = post("/v1/affiliates/reporting/conversions/export", body | {"format": "ndjson"}, key=key)
    assert len(ndjson.get_data(as_text=True).strip().splitlines()) == 75
    bad = post("/v1/affiliates/reporting/conversions/export", body | {"format": "xlsx"}, key=key)
    assert bad.status_code == 400 and bad.json == {"error": "format: must be csv, json or ndjson"}


def test_the_report_export_is_the_report(post, traffic):
    import io

    import pandas as pd

    _, key, *_ = traffic
    body = report_body(["sub1"])
    exported = post("/v1/affiliates/reporting/entity/table/export", body | {"format": "csv"}, key=key)
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"] == 'attachment; filename="report_sub1_2026-11-01_2026-11-30.csv"'
    frame = pd.read_csv(io.BytesIO(exported.data)).set_index("sub1")
    rows = rows_by(post(TABLE, body, key=key), "sub1")
    assert {k: int(frame.loc[k, "clicks"]) for k in frame.index} == {k: r["total_click"] for k, r in rows.items()}
    assert {k: int(frame.loc[k, "impressions"]) for k in frame.index} == {k: r["imp"] for k, r in rows.items()}
    assert {k: float(frame.loc[k, "ctr"]) for k in frame.index} == {k: r["ctr"] for k, r in rows.items()}
    assert int(frame.loc["summer_push", "invalid_clicks"]) == 1
    bad = post("/v1/affiliates/reporting/entity/table/export", report_body(["sub9"]) | {"format": "csv"}, key=key)
    assert bad.status_code == 400
