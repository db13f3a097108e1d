"""In a real browser: sign in as a partner and read the dashboard; sign in as an account manager."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_partner_signs_in_and_reads_the_dashboard(page, live_server, make):
    offer = make.offer()
    partner = make.partner(name="Bluebird Media")
    user = make.partner_user(partner, email="browser@partner.test")
    now = datetime.now(UTC)
    for _ in range(4):
        make.click(partner, offer, at=now)
    make.conversion(partner, offer, at=now, payout_cents=4321)

    page.goto(live_server.url + "/reports")
    assert page.url.endswith("/login?next=/reports")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/reports")
    assert page.text_content("h1").strip() == "Reports"

    page.click("text=Dashboard")
    today = page.locator('tr[data-period="today"]')
    assert today.locator('[data-metric="earnings"]').text_content() == "$43.21"
    assert today.locator('[data-metric="clicks"]').text_content() == "4"
    assert today.locator('[data-metric="conversions"]').text_content() == "1"
    assert "Bluebird Media" in page.text_content("header")

    page.click("text=Sign out")
    page.wait_for_url(live_server.url + "/login")
    page.goto(live_server.url + "/")
    assert "/login" in page.url


def test_wrong_password_shows_the_same_message_in_the_browser(page, live_server, make):
    user = make.partner_user(make.partner(), email="someone@partner.test")
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").text_content() == "Invalid email or password."


def test_account_manager_signs_in_to_the_staff_console(page, live_server, make):
    am = make.staff(permissions=["partners:view", "partners:manage"], email="am@network.test")
    make.partner(name="Gamma Traffic")
    page.goto(live_server.url + "/staff/login")
    page.fill("input[name=email]", am.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/staff/partners")
    assert "Gamma Traffic" in page.text_content("#partners")
    page.click("text=Gamma Traffic")
    assert "Overview" in page.text_content("nav.tabs")
    # No Settings entry for an AM without settings:manage, and the page itself is forbidden.
    assert page.locator("header >> text=Settings").count() == 0
    response = page.goto(live_server.url + "/staff/settings")
    assert response.status == 403 and "Forbidden" in page.text_content("h1")


def test_demo_partner_and_demo_am_sign_in_and_see_real_numbers(app, page, live_server, db):
    """The sign-ins `make run` prints work in a real browser and show the demo data's own figures."""
    from sqlalchemy import select

    from portal.affiliate import AffiliateScope
    from portal.models import PartnerUser

    result = app.test_cli_runner().invoke(args=["demo-data", "--clicks", "3000", "--conversions", "300"])
    assert result.exit_code == 0, result.output
    assert "partner@example.com" in result.output and "demo-password" in result.output
    demo_user = db.session.scalar(select(PartnerUser).where(PartnerUser.email == "partner@example.com"))
    expected = AffiliateScope(demo_user.partner).dashboard().this_month
    assert expected.clicks > 0 and expected.conversions > 0

    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", "partner@example.com")
    page.fill("input[name=password]", "demo-password")
    page.click("button[type=submit]")
    month = page.locator('tr[data-period="this-month"]')
    assert month.locator('[data-metric="clicks"]').text_content() == f"{expected.clicks:,}"
    assert month.locator('[data-metric="conversions"]').text_content() == f"{expected.conversions:,}"
    assert month.locator('[data-metric="earnings"]').text_content() == f"${expected.earnings_cents / 100:,.2f}"

    page.click("text=Sign out")
    page.goto(live_server.url + "/staff/login")
    page.fill("input[name=email]", "am@example.com")
    page.fill("input[name=password]", "demo-password")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/staff/partners")
    assert "Bluebird Media" in page.text_content("#partners")
    assert "gstest" in page.text_content("#partners")
