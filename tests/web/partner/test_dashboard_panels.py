"""The dashboard's panels: the 30-day trend, the top offers and sub ids (only ever the caller's own), the
getting-started checklist that ticks itself from what the partner has done, and the notice for an account
still being set up."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.affiliate import AffiliateScope
from portal.domain.records import Metrics
from portal.services.keys import issue_key


def _panel(page: str, panel_id: str) -> str:
    match = re.search(rf'<section class="card[^"]*" id="{panel_id}"[^>]*>(.*?)</section>', page, re.S)
    return html.unescape(match.group(1)) if match else ""


def _top_rows(page: str, panel_id: str) -> list[tuple[str, str]]:
    """(id, earnings) of a top list's rows, best first."""
    panel = _panel(page, panel_id)
    return re.findall(r'<tr data-id="([^"]*)">.*?data-metric="earnings">([^<]*)<', panel, re.S)


@pytest.fixture
def two_partners(make):
    shoes, travel, secret = (make.offer(name="Acme Shoes"), make.offer(name="Northwind Travel"),
                             make.offer(name="Beta Only Offer"))
    a, b = make.partner(name="Alpha Media"), make.partner(name="Beta Deals")
    now = datetime.now(UTC)
    for offer, sub1, cents, days_ago in ((shoes, "spring", 1250, 1), (shoes, "spring", 250, 3),
                                         (travel, "summer", 900, 5), (travel, "autumn", 100, 29),
                                         (travel, "too-old", 99_999, 31)):
        make.click(a, offer, at=now - timedelta(days=days_ago), sub1=sub1)
        make.conversion(a, offer, at=now - timedelta(days=days_ago), payout_cents=cents, sub1=sub1)
    make.conversion(a, shoes, at=now, payout_cents=50_000, sub1="rejected-sub", status="rejected")
    for _ in range(5):
        make.click(b, secret, at=now, sub1="beta-secret-sub")
        make.conversion(b, secret, at=now, payout_cents=100_000, sub1="beta-secret-sub")
    return a, b, (shoes, travel, secret)


def test_top_offers_and_sub_ids_are_the_partners_own_best_earners(client, make, login_as, two_partners):
    a, _, (shoes, travel, secret) = two_partners
    login_as.partner(make.partner_user(a))
    page = client.get("/").get_data(as_text=True)
    assert _top_rows(page, "top-offers") == [(str(shoes.id), "$15.00"), (str(travel.id), "$10.00")]
    # Rejected and older-than-30-days earnings do not count; a sub id with only a rejected conversion comes last.
    assert _top_rows(page, "top-sub-ids") == [("spring", "$15.00"), ("summer", "$9.00"), ("autumn", "$1.00"),
                                              ("rejected-sub", "$0.00")]
    assert "Beta Only Offer" not in page and "beta-secret-sub" not in page and "$1,000.00" not in page
    assert "too-old" not in page


def test_the_other_partner_sees_only_theirs(client, make, login_as, two_partners):
    _, b, (_, _, secret) = two_partners
    login_as.partner(make.partner_user(b))
    page = client.get("/").get_data(as_text=True)
    assert _top_rows(page, "top-offers") == [(str(secret.id), "$5,000.00")]
    assert _top_rows(page, "top-sub-ids") == [("beta-secret-sub", "$5,000.00")]
    assert "Acme Shoes" not in page and "spring" not in page


def test_a_partner_id_in_the_request_changes_nothing(client, make, login_as, two_partners):
    a, b, _ = two_partners
    login_as.partner(make.partner_user(a))
    own = client.get("/").get_data(as_text=True)
    for query in (f"?partner_id={b.id}", f"?affiliate_id={b.id}"):
        page = client.get("/" + query).get_data(as_text=True)
        assert _top_rows(page, "top-sub-ids") == _top_rows(own, "top-sub-ids")
        assert "beta-secret-sub" not in page


def test_the_trend_has_every_local_day_with_zeros_between(make, db):
    offer = make.offer()
    partner = make.partner(timezone="America/Los_Angeles")
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)  # 04:00 on the 30th in Los Angeles
    make.click(partner, offer, at=datetime(2026, 11, 30, 7, 30, tzinfo=UTC))  # still the 29th there
    make.conversion(partner, offer, at=datetime(2026, 11, 30, 7, 30, tzinfo=UTC), payout_cents=300)
    make.conversion(partner, offer, at=datetime(2026, 11, 1, 8, 0, tzinfo=UTC), payout_cents=100)  # 1 Nov, 01:00
    make.conversion(partner, offer, at=datetime(2026, 10, 31, 12, tzinfo=UTC), payout_cents=7)  # a day too early
    recent = AffiliateScope(partner).recent_performance(now=now)
    assert (recent.first_day, recent.last_day) == (date(2026, 11, 1), date(2026, 11, 30))
    assert [d.day for d in recent.days] == [date(2026, 11, 1) + timedelta(days=n) for n in range(30)]
    by_day = {d.day.day: d.metrics for d in recent.days}
    assert by_day[29] == Metrics(total_click=1, unique_click=1, cv=1, revenue_cents=300)
    assert by_day[1].revenue_cents == 100 and by_day[30] == Metrics() and by_day[15] == Metrics()


def test_the_trend_chart_draws_each_metric_per_day(client, make, login_as, two_partners):
    a, _, _ = two_partners
    login_as.partner(make.partner_user(a))
    page = client.get("/").get_data(as_text=True)
    for key in ("clicks", "conversions", "earnings"):
        svg = re.search(rf'<svg id="trend-{key}".*?</svg>', page, re.S).group(0)
        assert len(re.findall(r"<circle", svg)) == 30
    earnings = re.search(r'<svg id="trend-earnings".*?</svg>', page, re.S).group(0)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%b %d")
    assert f"<title>{yesterday}: $12.50</title>" in earnings
    assert re.search(r'data-total="earnings">\$25\.00<', page)  # 12.50 + 2.50 + 9.00 + 1.00
    assert re.search(r'data-total="clicks">4<', page)


def test_getting_started_ticks_itself_from_real_state(client, make, login_as, db):
    partner = make.partner()
    login_as.partner(make.partner_user(partner))

    def steps() -> dict[str, str]:
        panel = client.get("/").get_data(as_text=True)
        return dict(re.findall(r'<li data-step="([\w-]+)" class="(done|todo)">', panel))

    assert steps() == {"offer": "todo", "postback": "todo", "api-key": "todo"}
    assert 'href="/postbacks"' in _panel(client.get("/").get_data(as_text=True), "getting-started")
    make.click(partner, make.offer())
    assert steps() == {"offer": "done", "postback": "todo", "api-key": "todo"}
    make.server_postback(partner)
    assert steps() == {"offer": "done", "postback": "done", "api-key": "todo"}
    issue_key(partner, "Reporting script", acknowledged_risk=True)
    page = client.get("/").get_data(as_text=True)
    assert 'id="getting-started"' not in page  # every step done: the checklist makes room


def test_another_partners_progress_ticks_nothing(client, make, login_as, db):
    mine, theirs = make.partner(), make.partner()
    make.click(theirs, make.offer())
    make.server_postback(theirs)
    issue_key(theirs, "Reporting script", acknowledged_risk=True)
    login_as.partner(make.partner_user(mine))
    page = client.get("/").get_data(as_text=True)
    assert re.findall(r'class="(done|todo)"', _panel(page, "getting-started")) == ["todo", "todo", "todo"]


@pytest.mark.parametrize(("status", "onboarding", "shown"), [
    ("pending", "onboarding", True), ("pending", "complete", True), ("active", "onboarding", True),
    ("active", "complete", False),
])
def test_an_account_being_set_up_is_told_what_happens_next(client, make, login_as, status, onboarding, shown):
    partner = make.partner(status=status, onboarding=onboarding)
    login_as.partner(make.partner_user(partner))
    notice = _panel(client.get("/").get_data(as_text=True), "onboarding-notice")
    assert bool(notice) is shown
    if shown:
        assert "being set up" in notice and "What happens next" in notice and "activates it" in notice


@pytest.fixture
def signed_in_as_a(client, make, login_as, two_partners):
    login_as.partner(make.partner_user(two_partners[0]))
    return client


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.text(), st.just("\ud800"), st.just("a\udfffb"),
                       st.integers(min_value=2**63, max_value=2**70).map(str)))
def test_the_dashboard_ignores_any_query_string(signed_in_as_a, value):
    client = signed_in_as_a
    encoded = quote(value, safe="", errors="surrogatepass")
    for name in ("timezone", "days", "partner_id", "top"):
        response = client.get(f"/?{name}={encoded}")
        assert response.status_code == 200
        assert "beta-secret-sub" not in response.get_data(as_text=True)
