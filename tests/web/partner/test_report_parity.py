"""The same report through the portal page and through the Affiliate API gives the same numbers."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from portal.services.keys import issue_key

TABLE = "/v1/affiliates/reporting/entity/table"


@pytest.fixture
def app(unbudgeted_app):
    return unbudgeted_app


@pytest.fixture
def world(make, login_as):
    partner, other = make.partner(), make.partner()
    offers = [make.offer(name="Acme Shoes"), make.offer(name="Zen Tea")]
    start = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
    for n in range(40):
        at = start + timedelta(hours=7 * n)
        offer = offers[n % 2]
        make.click(partner, offer, at=at, sub1=f"camp_{n % 3}", is_unique=n % 4 != 0)
        if n % 3 == 0:
            make.conversion(partner, offer, at=at, sub1=f"camp_{n % 3}", payout_cents=123 * (n + 1),
                            status=("approved", "pending", "on_hold")[n % 3 if n % 2 else 0])
        make.click(other, offer, at=at, sub1=f"camp_{n % 3}")
        make.conversion(other, offer, at=at, sub1=f"camp_{n % 3}", payout_cents=9_999)
    login_as.partner(make.partner_user(partner))
    return partner, issue_key(partner, "parity", acknowledged_risk=True).secret


@pytest.mark.parametrize("columns", [["sub1"], ["offer"], ["date"], ["offer", "sub1"], ["week", "sub1"]])
def test_the_page_export_and_the_api_report_agree(client, world, columns):
    _, key = world
    query = "&".join(f"column={c}" for c in columns)
    page = client.get(f"/reports/export.csv?preset=custom&from=2026-11-01&to=2026-11-30&timezone=UTC&{query}")
    assert page.status_code == 200
    on_page = pd.read_csv(io.BytesIO(page.data), keep_default_na=False)
    api = client.post(TABLE, json={"from": "2026-11-01", "to": "2026-11-30", "timezone_id": 67,
                                   "columns": [{"column": c} for c in columns]},
                      headers={"X-Eflow-API-Key": key}).json
    assert len(on_page) == len(api["table"]) > 0

    def key_of(cells):
        return tuple(str(cells[c]) for c in columns)

    from_api = {key_of({c["column_type"]: c["label"] for c in row["columns"]}): row["reporting"]
                for row in api["table"]}
    for record in on_page.to_dict("records"):
        cells = {c: record["offer" if c == "offer" else c] for c in columns}
        reporting = from_api[key_of(cells)]
        assert record["clicks"] == reporting["total_click"]
        assert record["unique_clicks"] == reporting["unique_click"]
        assert record["conversions"] == reporting["cv"]
        assert record["earnings"] == pytest.approx(reporting["revenue"])
        assert record["on_hold_conversions"] == reporting["on_hold_conversion_count"]
    assert on_page["clicks"].sum() == api["summary"]["total_click"] == 40
    assert on_page["earnings"].sum() == pytest.approx(api["summary"]["revenue"])


def test_the_page_totals_row_shows_the_api_summary(client, world):
    _, key = world
    html = client.get("/reports?preset=custom&from=2026-11-01&to=2026-11-30&timezone=UTC&column=sub1")
    assert html.status_code == 200
    api = client.post(TABLE, json={"from": "2026-11-01", "to": "2026-11-30", "timezone_id": 67,
                                   "columns": [{"column": "sub1"}]}, headers={"X-Eflow-API-Key": key}).json
    text = html.get_data(as_text=True)
    total_earnings = f"${api['summary']['revenue']:,.2f}"
    assert total_earnings in text and "$99.99" not in text
