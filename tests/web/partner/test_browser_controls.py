"""In a real browser: the report form's date presets fill From and To at once, the report's chart and the
dashboard's trend switch metric without asking the server again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _local_days(zone: str, first_offset: int, last_offset: int) -> set[tuple[str, str]]:
    """(from, to) for today in `zone` now and a moment later, so that a run across midnight still passes."""
    days = set()
    for moment in (datetime.now(UTC), datetime.now(UTC) + timedelta(seconds=30)):
        today = moment.astimezone(ZoneInfo(zone)).date()
        days.add(((today + timedelta(days=first_offset)).isoformat(),
                  (today + timedelta(days=last_offset)).isoformat()))
    return days


def _dates(page) -> tuple[str, str]:
    return page.input_value("input[name=from]"), page.input_value("input[name=to]")


@pytest.fixture
def browser_page(chromium):
    # The browser's own clock zone differs from the account's (Europe/Berlin) and from Tokyo and Auckland,
    # so the dates can only be right when the script reads the chosen zone.
    context = chromium.new_context(timezone_id="America/Los_Angeles", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_preset_fills_from_and_to_at_once(browser_page, live_server, demo_partner, sign_in):
    page = browser_page
    sign_in(page, live_server.url, demo_partner.email)
    page.goto(live_server.url + "/reports?preset=custom&from=2026-01-01&to=2026-01-02")
    page.evaluate("window.notReloaded = true")

    page.select_option("select[name=preset]", "yesterday")
    assert _dates(page) in _local_days("Europe/Berlin", -1, -1)  # the account's zone (the field is empty)
    page.select_option("select[name=preset]", "last_7_days")
    assert _dates(page) in _local_days("Europe/Berlin", -6, 0)
    page.select_option("select[name=timezone]", "Pacific/Auckland")
    assert _dates(page) in _local_days("Pacific/Auckland", -6, 0)  # a new zone moves the preset's days
    page.select_option("select[name=preset]", "last_month")
    today = datetime.now(ZoneInfo("Pacific/Auckland")).date()
    last = today.replace(day=1) - timedelta(days=1)
    assert _dates(page) == (last.replace(day=1).isoformat(), last.isoformat())

    page.select_option("select[name=preset]", "custom")
    assert _dates(page) == (last.replace(day=1).isoformat(), last.isoformat())  # custom keeps what is there
    page.fill("input[name=from]", "2026-02-03")
    expect(page.locator("select[name=preset]")).to_have_value("custom")
    assert page.evaluate("window.notReloaded") is True

    # On the conversions form too, and what is sent is what the form shows.
    page.goto(live_server.url + "/conversions?preset=custom&from=2026-01-01&to=2026-01-02")
    page.select_option("select[name=preset]", "today")
    shown = _dates(page)
    assert shown in _local_days("Europe/Berlin", 0, 0)
    page.click("#conversion-form button[type=submit]")
    page.wait_for_url("**/conversions?*")
    assert _dates(page) == shown


def test_the_report_chart_switches_metric_without_running_the_report_again(browser_page, live_server, demo_partner,
                                                                          sign_in):
    page = browser_page
    sign_in(page, live_server.url, demo_partner.email)
    page.goto(live_server.url + "/reports?preset=last_30_days&column=date&metric=revenue")
    page.evaluate("window.notReloaded = true")
    expect(page.locator("figure[data-chart=revenue]")).to_be_visible()
    expect(page.locator("figure[data-chart=total_click]")).to_be_hidden()

    page.select_option("select[name=metric]", "total_click")
    expect(page.locator("figure[data-chart=total_click]")).to_be_visible()
    expect(page.locator("figure[data-chart=revenue]")).to_be_hidden()
    expect(page.locator("figure[data-chart=total_click] figcaption")).to_have_text("Clicks by date")
    assert page.evaluate("window.notReloaded") is True
    assert "metric=total_click" in page.url  # a reload or a bookmark keeps the chart

    page.reload()
    expect(page.locator("figure[data-chart=total_click]")).to_be_visible()
    expect(page.locator("select[name=metric]")).to_have_value("total_click")


def test_the_dashboard_trend_switches_metric(browser_page, live_server, demo_partner, sign_in):
    page = browser_page
    sign_in(page, live_server.url, demo_partner.email)
    charts = page.locator("#trend figure[data-chart]")
    expect(charts).to_have_count(3)
    expect(page.locator("figure[data-chart=clicks]")).to_be_visible()
    expect(page.locator("figure[data-chart=earnings]")).to_be_hidden()
    page.evaluate("window.notReloaded = true")

    page.get_by_role("button", name="Earnings").click()
    expect(page.locator("figure[data-chart=earnings]")).to_be_visible()
    expect(page.locator("figure[data-chart=clicks]")).to_be_hidden()
    expect(page.get_by_role("button", name="Earnings")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Clicks")).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("window.notReloaded") is True
    # Thirty days, one point each, in the chart that shows.
    expect(page.locator("figure[data-chart=earnings] svg.chart-wide circle")).to_have_count(30)
