"""In a real browser: a partner runs the one-click sub_id report for the last 30 days and exports it as CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")


def test_partner_runs_the_sub_id_report_and_exports_it(page, live_server, make):
    offer = make.offer(name="Acme Shoes")
    partner, other = make.partner(name="Bluebird Media"), make.partner(name="Other Media")
    user = make.partner_user(partner)
    now = datetime.now(UTC)
    # sub1, clicks, payouts, days ago: "winter" is older than 30 days and stays out of the report.
    for sub1, clicks, payouts, days_ago in (("spring", 3, (1250, 250), 2), ("summer", 2, (500,), 10),
                                            ("autumn", 1, (100,), 0), ("winter", 1, (9900,), 40)):
        at = now - timedelta(days=days_ago)
        for _ in range(clicks):
            make.click(partner, offer, at=at, sub1=sub1)
        for payout in payouts:
            make.conversion(partner, offer, at=at, payout_cents=payout, sub1=sub1)
    make.conversion(other, offer, at=now, payout_cents=50_000, sub1="elsewhere")

    _sign_in(page, live_server.url + "/login", user.email)
    page.click("nav >> text=Reports")
    page.click("[data-sub-id-report=sub1]")

    expect(page.locator("select[name=preset]")).to_have_value("last_30_days")
    rows = page.locator("#report-table tbody tr")
    expect(rows).to_have_count(3)
    # Best earners first: the preset sorts by earnings.
    expect(rows.locator("[data-column=sub1]")).to_have_text(["spring", "summer", "autumn"])
    expect(rows.first.locator("[data-metric=revenue]")).to_have_text("$15.00")
    expect(page.locator("#report-table tfoot [data-metric=revenue]")).to_have_text("$21.00")

    with page.expect_download() as download_info:
        page.click("text=Export CSV")
    download = download_info.value
    expect(page.locator("[data-export-note]")).to_be_visible()
    assert download.suggested_filename.endswith(".csv")
    frame = pd.read_csv(download.path())
    assert list(frame["sub1"]) == ["spring", "summer", "autumn"]
    assert "elsewhere" not in frame.to_csv() and "winter" not in frame.to_csv()
