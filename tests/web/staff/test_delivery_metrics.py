"""Postback delivery metrics on known data: throughput, success rate, lag percentiles, backlog, turned off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.queries import postback_metrics

NOW = datetime(2026, 5, 4, 12, 30, 20, tzinfo=UTC)


@pytest.fixture
def known(make):
    """Attempts, deliveries and postbacks at fixed times around NOW."""
    partner = make.partner(name="Metrics Partner")
    postback = make.server_postback(partner)
    for lag in (1, 2, 3, 4, 10):  # seconds from queued to first attempt, within the last hour
        queued = NOW - timedelta(minutes=20, seconds=lag)
        make.delivery(postback, created_at=queued, first_attempt_at=queued + timedelta(seconds=lag),
                      status="delivered")
    old = NOW - timedelta(hours=3)
    make.delivery(postback, created_at=old, first_attempt_at=old + timedelta(seconds=500), status="delivered")
    make.delivery(postback, status="pending", created_at=NOW - timedelta(minutes=1), next_attempt_at=NOW - timedelta(seconds=5))
    make.delivery(postback, status="pending", created_at=NOW - timedelta(minutes=1), next_attempt_at=NOW + timedelta(minutes=5))
    dead = make.delivery(postback, status="dead", created_at=NOW - timedelta(days=2))

    five_ago = NOW.replace(second=0) - timedelta(minutes=5)  # 12:25
    for second, outcome in ((1, "delivered"), (30, "delivered"), (59, "failed")):
        make.attempt(dead, five_ago + timedelta(seconds=second, microseconds=900_000), outcome)
    make.attempt(dead, NOW.replace(second=0) - timedelta(minutes=2, seconds=-10), "blocked")  # 12:28:10
    make.attempt(dead, NOW - timedelta(hours=2), "delivered")  # outside the hour
    make.attempt(dead, NOW + timedelta(minutes=1), "delivered")  # after "now": not counted

    make.server_postback(partner, status="inactive", disabled_at=NOW - timedelta(days=1),
                         disabled_reason="Failed 10 times in a row within 72 hours", url="https://down.example/pb")
    make.server_postback(partner, status="inactive", disabled_at=NOW - timedelta(days=10), disabled_reason="old news")
    return partner


def test_throughput_counts_attempts_per_minute_of_the_last_hour(known):
    result = postback_metrics.throughput(NOW)
    assert (result.attempts, result.delivered, result.success_rate) == (4, 2, 0.5)
    assert len(result.per_minute) == 61  # 11:30 (partly) … 12:30 (partly)
    assert result.per_minute[0].minute == datetime(2026, 5, 4, 11, 30, tzinfo=UTC)
    busy = {m.minute.strftime("%H:%M"): (m.attempts, m.delivered, m.failed) for m in result.per_minute if m.attempts}
    assert busy == {"12:25": (3, 2, 1), "12:28": (1, 0, 1)}


def test_lag_percentiles_interpolate_like_percentile_cont(known):
    lag = postback_metrics.delivery_lag(NOW)
    assert lag.samples == 5
    assert lag.p50 == pytest.approx(3.0, abs=1e-3)
    assert lag.p95 == pytest.approx(8.8, abs=1e-3)  # between 4 and 10, 80 % of the way


def test_backlog_counts_pending_due_and_dead(known):
    assert postback_metrics.backlog(NOW) == postback_metrics.Backlog(pending=2, due=1, dead=1)


def test_recently_turned_off_postbacks_with_their_reason(known):
    found = postback_metrics.turned_off(NOW)
    assert [(p.partner_name, p.reason, p.url) for p in found] == [
        ("Metrics Partner", "Failed 10 times in a row within 72 hours", "https://down.example/pb")]


def test_nothing_yet_is_zeros_and_no_percentiles(db):
    assert postback_metrics.throughput(NOW).success_rate is None
    assert postback_metrics.delivery_lag(NOW) == postback_metrics.Lag(0, None, None)
    assert postback_metrics.backlog(NOW) == postback_metrics.Backlog(0, 0, 0)


@pytest.mark.parametrize(("values", "fraction", "expected"), [
    ([5.0], 0.95, 5.0), ([1.0, 2.0], 0.5, 1.5), ([1.0, 2.0, 3.0, 4.0, 10.0], 0.95, 8.8),
])
def test_percentile(values, fraction, expected):
    assert postback_metrics.percentile(values, fraction) == pytest.approx(expected)


def test_the_percentile_of_nothing_is_none():
    assert postback_metrics.percentile([], 0.5) is None


def test_the_page_shows_the_metrics_to_staff_with_partners_view(client, make, login_as, known):
    make.delivery(make.server_postback(known, disabled_at=datetime.now(UTC) - timedelta(hours=1),
                                       disabled_reason="Turned off by the partner"), status="dead")
    login_as.staff(make.staff(permissions=["partners:view"]))
    page = client.get("/staff/postbacks/metrics").get_data(as_text=True)
    assert 'data-metric="dead">2<' in page
    assert "Turned off by the partner" in page
    assert 'href="/staff/postbacks/metrics" aria-current="page"' in page  # in the staff navigation
    client.post("/logout")
    login_as.staff(make.staff(permissions=["settings:manage"]))
    response = client.get("/staff/postbacks/metrics")
    assert response.status_code == 403 and b"Forbidden" in response.data
