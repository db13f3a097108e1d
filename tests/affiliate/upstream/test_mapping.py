"""Field mapping: the upstream's payout is the partner's money; network fields never reach a partner."""

from __future__ import annotations

from dataclasses import astuple, fields
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.affiliate.upstream import bodies, mapping
from portal.domain.criteria import Filters, window_for_days
from portal.domain.records import ConversionRecord

NETWORK_ONLY = ("Acme Advertiser", "secret internal note", "adv-value", "manager@network.test")


def network_conversion(**changes) -> dict:
    conversion = {
        "conversion_id": "c1", "transaction_id": "t1", "conversion_unix_timestamp": 1767225600,
        "click_unix_timestamp": 1767225000, "status": "approved", "payout_type": "cpa", "revenue_type": "rpa",
        "payout": 12.345, "revenue": 40.0, "profit": 27.66, "margin": 69.1, "sale_amount": 100, "currency_id": "usd",
        "is_event": False, "event": "", "sub1": "s1", "country": "United States", "device_type": "Mobile",
        "conversion_user_ip": "203.0.113.9", "network_offer_id": 3, "network_affiliate_id": 7,
        "network_advertiser_id": 5, "adv1": "adv-value", "notes": "secret internal note",
        "relationship": {"offer": {"network_offer_id": 3, "name": "Shoes"},
                         "advertiser": {"name": "Acme Advertiser"}, "affiliate": {"network_affiliate_id": 7},
                         "account_manager": {"email": "manager@network.test"}},
    }
    conversion.update(changes)
    return conversion


def test_a_conversion_keeps_the_partners_money_and_drops_the_networks():
    record = mapping.conversion(network_conversion(), "USD")
    assert record.payout_cents == 1235  # 12.345 half up: the affiliate's payout is the partner's revenue
    assert record.sale_amount_cents == 10000 and record.currency == "USD"
    assert (record.offer_id, record.offer_name, record.offer_payout_type) == (3, "Shoes", "flat")
    assert record.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert not {"revenue", "profit", "margin", "advertiser", "notes", "adv1"} & {f.name for f in fields(ConversionRecord)}
    text = repr(astuple(record))
    assert not any(value in text for value in NETWORK_ONLY)
    assert "4000" not in text and "40.0" not in text  # the network's revenue, in any unit


def test_an_event_keeps_its_name():
    assert mapping.conversion(network_conversion(is_event=True, event="deposit"), "USD").event_name == "deposit"
    assert mapping.conversion(network_conversion(is_event=False, event="deposit"), "USD").event_name is None


def test_report_metrics_take_payout_as_revenue():
    metrics = mapping.metrics({"total_click": 10, "unique_click": 8, "cv": 2, "event": 1, "payout": 3.5,
                               "revenue": 90, "profit": 86.5, "margin": 96.1, "imp": 100, "invalid_click": 1})
    assert (metrics.total_click, metrics.cv, metrics.revenue_cents, metrics.imp) == (10, 2, 350, 100)


@pytest.mark.parametrize(("obj", "owned"), [
    ({"network_affiliate_id": 7}, True),
    ({"network_affiliate_id": "7"}, True),
    ({"relationship": {"affiliate": {"network_affiliate_id": 7}}}, True),
    ({"network_affiliate_id": 8}, False),
    ({"network_affiliate_id": 8, "relationship": {"affiliate": {"network_affiliate_id": 7}}}, False),
    ({"network_affiliate_id": True}, False),
    ({"network_affiliate_id": None}, False),
    ({}, False),
    (None, False),
    ([{"network_affiliate_id": 7}], False),
])
def test_only_objects_that_name_the_partners_affiliate_belong_to_it(obj, owned):
    assert mapping.belongs(obj, 7) is owned


@given(st.dictionaries(st.text(max_size=20), st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                                                        st.text(max_size=30)), max_size=12))
def test_mapping_never_fails_on_odd_values(obj):
    mapping.conversion(obj, "USD")
    mapping.click(obj)
    mapping.metrics(obj)
    mapping.cell(obj, "UTC")
    mapping.belongs(obj, 7)


@pytest.mark.parametrize(("value", "minor"), [(1.005, 101), ("2.5", 250), (None, 0), (True, 0), ("nan", 0),
                                              ("inf", 0), ("x", 0), (10**12, 10**14)])
def test_amounts_become_minor_units(value, minor):
    assert mapping.cents(value) == minor


def test_time_cells_read_in_the_reports_timezone():
    cell = mapping.cell({"column_type": "date", "id": "1767225600", "label": "x"}, "America/New_York")
    assert cell.id == cell.label == "2025-12-31"
    assert mapping.cell({"column_type": "month", "id": "2026-01", "label": "2026-01"}, "UTC").label == "2026-01"


def test_every_request_carries_the_partners_affiliate_and_no_other():
    window = window_for_days(datetime(2026, 1, 1).date(), datetime(2026, 1, 31).date(), "UTC")
    body = bodies.report(7, window, ("offer",), Filters((("offer", ("3",)), ("affiliate", ("8",)))), "USD")
    affiliates = [f for f in body["query"]["filters"] if f["resource_type"] == "affiliate"]
    assert affiliates == [{"resource_type": "affiliate", "filter_id_value": "7"}]
    assert {"resource_type": "offer", "filter_id_value": "3"} in body["query"]["filters"]
    assert (body["from"], body["to"], body["timezone_id"]) == ("2026-01-01", "2026-01-31", 67)


def test_a_pixel_body_names_the_partners_affiliate():
    body = mapping.pixel_body({"delivery_method": "postback", "offer_id": None, "postback_type": "conversion",
                               "status": "active", "url": "https://p.example/?t={transaction_id}", "delay_ms": 0},
                              7)
    assert body["network_affiliate_id"] == 7 and body["pixel_level"] == "global"
