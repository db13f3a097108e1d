"""POST /v1/networks/reporting/conversions/export: every matching conversion of every affiliate as a file
(CSV, JSON, NDJSON), from one snapshot, formula-safe, broken off rather than short."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pyarrow as pa
import pytest

from portal.exports.network_conversions import NETWORK_CONVERSION_COLUMNS
from portal.exports.tabular import RowCountMismatch
from portal.queries import network_activity
from tests.api.networks.conftest import DAY, UTC_ID

EXPORT = "/v1/networks/reporting/conversions/export"


def body(fmt="csv", **extra):
    return {"from": "2026-11-01", "to": "2026-11-30", "timezone_id": UTC_ID, "currency_id": "USD", "format": fmt,
            **extra}


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_holds_every_conversion_with_both_sides_of_the_money(network, seeded):
    response = network("POST", EXPORT, body())
    assert response.status_code == 200
    assert response.content_type.startswith("text/csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="conversions_2026-11-01_2026-11-30.csv"'
    rows = csv_rows(response)
    assert response.headers["X-Row-Count"] == str(len(rows)) == "5"
    assert list(rows[0]) == list(NETWORK_CONVERSION_COLUMNS)
    by_payout = {row["payout"]: row for row in rows}
    first = by_payout["13.33"]
    assert first["revenue"] == "20.01" and first["network_affiliate_id"] == str(seeded["ann"].id)
    assert first["network_offer_id"] == str(seeded["shoes"].id) and first["offer_name"] == "Acme Shoes"
    assert first["network_advertiser_id"] == str(seeded["acme"].id) and first["sub1"] == "email"
    assert first["conversion_unix_timestamp"] == str(int(DAY.timestamp())) and first["is_event"] == "false"


def test_json_and_ndjson_give_the_same_rows_as_the_search(network, seeded):
    search = network("POST", "/v1/networks/reporting/conversions", body(), query_string={"page_size": 100}).json
    as_json = network("POST", EXPORT, body("json"))
    assert as_json.status_code == 200 and as_json.content_type == "application/json"
    rows = as_json.json
    as_lines = network("POST", EXPORT, body("jsonl"))
    assert as_lines.content_type == "application/x-ndjson"
    assert as_lines.headers["Content-Disposition"].endswith('.ndjson"')
    assert [json.loads(line) for line in as_lines.get_data(as_text=True).splitlines()] == rows
    assert [r["conversion_id"] for r in rows] == [c["conversion_id"] for c in search["conversions"]]
    for row, found in zip(rows, search["conversions"]):
        for name in ("payout", "revenue", "network_affiliate_id", "network_offer_id", "status", "sub1", "event",
                     "conversion_unix_timestamp", "transaction_id"):
            assert row[name] == found[name], name


def test_filters_and_the_affiliate_scope(network, seeded):
    ann, bob = seeded["ann"], seeded["bob"]
    only_bob = body("json", query={"filters": [{"resource_type": "affiliate", "filter_id_value": bob.id}]})
    rows = network("POST", EXPORT, only_bob).json
    assert len(rows) == 2 and {r["network_affiliate_id"] for r in rows} == {bob.id}
    rejected = body("json", query={"filters": [{"resource_type": "status", "filter_id_value": "rejected"}]})
    assert [r["payout"] for r in network("POST", EXPORT, rejected).json] == [9.99]
    tea = body("json", query={"filters": [{"resource_type": "advertiser", "filter_id_value": seeded["zen"].id},
                                          {"resource_type": "affiliate", "filter_id_value": ann.id}]})
    assert [r["payout"] for r in network("POST", EXPORT, tea).json] == [7.0]


def test_columns_pick_and_order_the_export(network, seeded):
    rows = network("POST", EXPORT, body("json", columns=["payout", "affiliate", "offer", "payout"])).json
    assert list(rows[0]) == ["payout", "network_affiliate_id", "network_offer_id", "offer_name"]
    empty = network("POST", EXPORT, body(columns=["conversion_id", "revenue"], **{"from": "2020-01-01",
                                                                                  "to": "2020-01-02"}))
    assert empty.status_code == 200 and csv_rows(empty) == [] and empty.get_data(as_text=True).count("revenue") == 1
    assert empty.headers["X-Row-Count"] == "0"


@pytest.mark.parametrize("change", [
    {"format": "xlsx"}, {"format": None}, {"format": 1}, {"columns": []}, {"columns": ["margin"]},
    {"columns": "payout"}, {"columns": [{"column": 7}]}, {"columns": ["payout"] * 65}, {"from": "2026-13-01"},
    {"show_conversions": False, "show_events": False},
    {"query": {"filters": [{"resource_type": "affiliate", "filter_id_value": 10**30}]}},
    {"query": {"filters": [{"resource_type": "sub1", "filter_id_value": "a\ud800"}]}},
    {"timezone_id": 2**63},
])
def test_bad_bodies_are_400(network, seeded, change):
    response = network("POST", EXPORT, {**body(), **change})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "error" in response.json


def test_no_format_is_400_and_not_json_is_415(network, seeded):
    no_format = body()
    del no_format["format"]
    assert network("POST", EXPORT, no_format).status_code == 400
    assert network("POST", EXPORT, headers={"Content-Type": "text/plain"}, data="x").status_code == 415


def test_a_key_is_needed(client, seeded):
    assert client.post(EXPORT, json=body()).status_code == 401


def test_csv_cells_are_formula_safe_and_round_trip(network, make, db):
    offer, partner = make.offer(name="=HYPERLINK(1)"), make.partner(name="Eve")
    make.conversion(partner, offer, at=DAY, payout_cents=-150, sub1="=cmd|' /C calc'!A0", sub2="@SUM(1)",
                    sub3="+1", sub4="-2", sub5="\tx")
    text = network("POST", EXPORT, body()).get_data(as_text=True)
    frame = pd.read_csv(io.StringIO(text), keep_default_na=False, dtype=str)
    row = frame.iloc[0]
    assert row["offer_name"] == "'=HYPERLINK(1)" and row["sub1"] == "'=cmd|' /C calc'!A0"
    assert (row["sub2"], row["sub3"], row["sub4"], row["sub5"]) == ("'@SUM(1)", "'+1", "'-2", "'\tx")
    assert row["payout"] == "-1.5"  # numbers untouched


def test_a_count_that_disagrees_breaks_the_download_off(network, seeded, monkeypatch):
    real = network_activity.conversion_export

    def miscounted(query, batch_size):
        rows = real(query, batch_size)
        return type(rows)(rows.count + 1, rows.batches)

    monkeypatch.setattr(network_activity, "conversion_export", miscounted)
    response = network("POST", EXPORT, body(), buffered=False)
    assert response.status_code == 200
    with pytest.raises(RowCountMismatch):
        b"".join(response.response)


@pytest.mark.parametrize("ask", [{"format": "arrow"}, {"format": "json", "accept": "application/vnd.apache.arrow.stream, "
                                                                                 "application/json;q=0.5"}])
def test_arrow_gives_the_json_rows_typed(network, seeded, ask):
    """Arrow's IPC stream (this API's extension), asked by name or preferred in the Accept header: the JSON
    export's rows with the declared column types, the same count."""
    rows = network("POST", EXPORT, body("json")).json
    headers = {"Accept": ask["accept"]} if "accept" in ask else {}
    response = network("POST", EXPORT, body(ask["format"]), headers=headers)
    assert response.status_code == 200 and response.content_type == "application/vnd.apache.arrow.stream"
    assert response.headers["Content-Disposition"].endswith('.arrows"') and "Accept" in response.headers["Vary"]
    table = pa.ipc.open_stream(response.data).read_all()
    assert table.schema.names == list(NETWORK_CONVERSION_COLUMNS)
    assert table.schema.field("payout").type == pa.float64() and table.schema.field("is_test").type == pa.bool_()
    assert table.schema.field("network_affiliate_id").type == pa.int64()
    assert response.headers["X-Row-Count"] == str(table.num_rows) == str(len(rows)) == "5"
    assert table.to_pylist() == rows


def test_json_stays_json_unless_arrow_is_preferred(network, seeded):
    for accept in ("application/json", "*/*", "application/json, application/vnd.apache.arrow.stream;q=0.5", None):
        response = network("POST", EXPORT, body("json"), headers={"Accept": accept} if accept else {})
        assert response.content_type == "application/json" and len(response.json) == 5, accept


def test_an_empty_arrow_export_still_has_its_typed_columns(network, seeded):
    response = network("POST", EXPORT, body("arrow", columns=["conversion_id", "payout"], **{"from": "2020-01-01",
                                                                                             "to": "2020-01-02"}))
    table = pa.ipc.open_stream(response.data).read_all()
    assert table.num_rows == 0 and table.schema.names == ["conversion_id", "payout"]
    assert table.schema.field("payout").type == pa.float64()
