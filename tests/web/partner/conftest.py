"""Partner page fixtures: a partner with a month of traffic shaped like the demo data's, and a browser sign-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import TEST_PASSWORD


@pytest.fixture
def demo_partner(make):
    """A partner with a month of traffic shaped like the demo data's: long offer names and sub ids, 32-character
    ids, events, every status, conversions still on hold."""
    offers = [make.offer(name=name) for name in (
        "Acme Shoes — Spring Sale US/CA (CPA, mobile + desktop)", "Northwind Travel Insurance Quote Lead Gen",
        "Bluebird VPN Annual Plan Trial")]
    partner = make.partner(name="Bluebird Media Performance Partners Ltd", timezone="Europe/Berlin")
    user = make.partner_user(partner, email="maria.garcia-lopez@bluebird-media-performance.example")
    now = datetime.now(UTC)
    statuses = ("approved", "pending", "rejected", "on_hold")
    for n in range(60):
        offer = offers[n % len(offers)]
        at = now - timedelta(days=n % 28, hours=n % 5)
        subs = dict(sub1=f"fb_lookalike_{('us', 'ca', 'uk')[n % 3]}_women_25_44_creative_{n % 7:02d}",
                    sub2=f"adset_{n % 4}_broad_interest", sub3="placement_feed", sub4="v2", sub5=f"click_{n}",
                    source_id=f"publisher-site-{1000 + n % 9}.example", country=("US", "CA", "GB")[n % 3],
                    device=("mobile", "desktop")[n % 2])
        make.click(partner, offer, at=at, **subs)
        status = statuses[n % 4]
        make.conversion(partner, offer, at=at, payout_cents=1234 + 97 * n, sale_amount_cents=12_345 + n,
                        status=status, transaction_id=f"{n:04d}" + "a1b2c3d4e5f60718293a4b5c6d7e", **subs,
                        event_name="purchase_upsell_annual" if n % 5 == 0 else None,
                        hold_until=at + timedelta(days=30) if status == "on_hold" else None)
    return user


@pytest.fixture
def sign_in():
    """sign_in(page, base_url, email): through the real form, waiting for the dashboard."""

    def _sign_in(page, url: str, email: str) -> None:
        page.goto(url + "/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/")

    return _sign_in
