"""The partner dashboard: real figures through the affiliate façade, only ever the caller's own."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from portal.affiliate import AffiliateScope
from portal.domain.accounts import PeriodFigures


def _figures(html: str, period: str) -> dict[str, str]:
    row = re.search(rf'<tr data-period="{period}">(.*?)</tr>', html, re.S).group(1)
    return dict(re.findall(r'data-metric="(\w+)">([^<]*)<', row))


@pytest.fixture
def two_partners(make):
    offer = make.offer()
    a, b = make.partner(name="Alpha Media"), make.partner(name="Beta Deals")
    now = datetime.now(UTC)
    for _ in range(3):
        make.click(a, offer, at=now)
    make.click(a, offer, at=now, error_code=3, error_message="offer is paused")  # invalid: not a click
    make.click(a, make.offer(payout_type="cpc", payout_amount=40), at=now)  # earns its CPC
    make.click(a, offer, at=now, is_test=True)
    make.impression(a, offer, at=now)
    make.impression(a, offer, at=now)
    make.impression(a, offer, at=now, is_test=True)
    make.conversion(a, offer, at=now, payout_cents=1250)
    make.conversion(a, offer, at=now, payout_cents=250, status="pending")
    make.conversion(a, offer, at=now, payout_cents=9999, status="rejected")
    make.conversion(a, offer, at=now, payout_cents=7777, status="on_hold")
    make.conversion(a, offer, at=now, payout_cents=5555, is_test=True)
    for _ in range(40):
        make.click(b, offer, at=now)
    for _ in range(7):
        make.conversion(b, offer, at=now, payout_cents=100_000)
    return a, b


def test_partner_sees_only_their_own_figures(client, make, login_as, two_partners):
    a, _ = two_partners
    login_as.partner(make.partner_user(a))
    html = client.get("/").get_data(as_text=True)
    today = _figures(html, "today")
    # Approved and pending count; rejected, on hold and test conversions do not; B's rows never do.
    # Valid clicks count (an invalid one does not), and a CPC click's earnings add to the conversions'.
    assert today == {"earnings": "$15.40", "impressions": "2", "clicks": "4", "conversions": "2"}
    assert "$7,000.00" not in html and ">40<" not in html and "Beta Deals" not in html


def test_the_other_partner_sees_theirs(client, make, login_as, two_partners):
    _, b = two_partners
    login_as.partner(make.partner_user(b))
    today = _figures(client.get("/").get_data(as_text=True), "today")
    assert today == {"earnings": "$7,000.00", "impressions": "0", "clicks": "40", "conversions": "7"}


def test_a_partner_id_in_the_request_is_ignored(client, make, login_as, two_partners):
    a, b = two_partners
    login_as.partner(make.partner_user(a))
    for query in (f"?partner_id={b.id}", f"?affiliate_id={b.id}", f"?network_affiliate_id={b.id}"):
        assert _figures(client.get("/" + query).get_data(as_text=True), "today")["clicks"] == "4"


def test_days_are_the_partners_own_days(make, db):
    """A conversion at 23:30 UTC on the 1st is on the 1st in UTC and on the 1st in Los Angeles (15:30),
    while one at 07:30 UTC on the 2nd is still the 1st in Los Angeles."""
    offer = make.offer()
    partner = make.partner(timezone="America/Los_Angeles")
    make.conversion(partner, offer, at=datetime(2026, 11, 1, 23, 30, tzinfo=UTC), payout_cents=100)
    make.conversion(partner, offer, at=datetime(2026, 11, 2, 7, 30, tzinfo=UTC), payout_cents=200)
    now = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # 04:00 on the 2nd in Los Angeles
    la = AffiliateScope(partner).dashboard(now=now)
    assert la.timezone == "America/Los_Angeles"
    assert la.today == PeriodFigures(clicks=0, conversions=0, earnings_cents=0)
    assert la.yesterday == PeriodFigures(clicks=0, conversions=2, earnings_cents=300)
    utc = AffiliateScope(partner).dashboard(now=now, timezone="UTC")
    assert utc.today.earnings_cents == 200 and utc.yesterday.earnings_cents == 100


def test_this_month_spans_a_daylight_saving_change(make):
    """New York falls back on 1 November 2026: that day runs from 04:00 to 05:00 UTC the next day (25 hours)."""
    offer = make.offer()
    partner = make.partner(timezone="America/New_York")
    make.conversion(partner, offer, at=datetime(2026, 11, 1, 3, 59, tzinfo=UTC), payout_cents=1)  # 31 Oct local
    make.conversion(partner, offer, at=datetime(2026, 11, 1, 4, 0, tzinfo=UTC), payout_cents=10)  # 1 Nov 00:00 EDT
    make.conversion(partner, offer, at=datetime(2026, 11, 2, 4, 59, tzinfo=UTC), payout_cents=100)  # 1 Nov 23:59 EST
    make.conversion(partner, offer, at=datetime(2026, 11, 2, 5, 0, tzinfo=UTC), payout_cents=1000)  # 2 Nov 00:00 EST
    summary = AffiliateScope(partner).dashboard(now=datetime(2026, 11, 2, 12, tzinfo=UTC))
    assert summary.yesterday.earnings_cents == 110  # the 25-hour day
    assert summary.today.earnings_cents == 1000
    assert summary.this_month.earnings_cents == 1110


def test_yesterday_and_this_month(make):
    offer = make.offer()
    partner = make.partner()
    now = datetime(2026, 11, 15, 12, tzinfo=UTC)
    make.click(partner, offer, at=now - timedelta(days=1))
    make.conversion(partner, offer, at=now - timedelta(days=1), payout_cents=300)
    make.conversion(partner, offer, at=now - timedelta(days=10), payout_cents=400)
    make.conversion(partner, offer, at=now - timedelta(days=20), payout_cents=500)  # last month
    summary = AffiliateScope(partner).dashboard(now=now)
    assert summary.yesterday == PeriodFigures(clicks=1, conversions=1, earnings_cents=300)
    assert summary.this_month == PeriodFigures(clicks=1, conversions=2, earnings_cents=700)


def test_account_view_has_no_network_only_fields(make, db):
    partner = make.partner(internal_notes="watch this one", fraud_flag=True)
    account = AffiliateScope(partner).account()
    assert not hasattr(account, "internal_notes") and not hasattr(account, "fraud_flag")
    assert account.affiliate_id == partner.id


def test_the_api_entry_appears_only_once_the_partner_has_a_key(client, make, login_as, db):
    from portal.services.keys import issue_key

    partner = make.partner()
    am = make.staff(name="Alex Manager", email="alex@network.test")
    partner.account_manager_id = am.id
    db.session.commit()
    login_as.partner(make.partner_user(partner))
    before = client.get("/account").get_data(as_text=True)
    assert 'href="/account/api"' not in before
    assert "Your account manager issues API keys" in before and "alex@network.test" in before
    no_key = client.get("/account/api").get_data(as_text=True)
    assert "No API key yet" in no_key and "Alex Manager" in no_key

    issued = issue_key(partner, "Reporting script", actor=am)
    after = client.get("/account").get_data(as_text=True)
    assert 'href="/account/api"' in after
    api_page = client.get("/account/api").get_data(as_text=True)
    assert "No API key yet" not in api_page and issued.secret in api_page
