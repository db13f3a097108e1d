"""Offer caps (Everflow's daily, weekly, monthly and global click and conversion caps): once an offer has used
a cap, its clicks go to the fallback URL as invalid clicks ("Offer cap reached"); periods start in the
network's timezone; test traffic, other offers and earlier periods do not count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from portal.models import Click, NetworkSettings
from portal.queries import offer_caps
from portal.services import clicks

FALLBACK = "https://network.example/full"


@pytest.fixture
def tracker(app):
    return app.extensions["portal.tracker"]


@pytest.fixture
def network_timezone(app, db):
    def _set(name: str) -> None:
        db.session.get(NetworkSettings, 1).timezone = name
        db.session.commit()

    yield _set
    db.session.rollback()
    db.session.execute(sa.update(NetworkSettings).values(timezone="UTC"))
    db.session.commit()


def follow(client, tracker, partner, offer):
    tracker.targets.clear()  # as if the cache's few seconds had passed since the last click
    return client.get(f"/c/{partner.id}/{offer.id}")


def test_a_daily_click_cap_sends_clicks_past_it_to_the_fallback_as_invalid(client, db, make, tracker):
    partner = make.partner()
    offer = make.offer(destination_url="https://advertiser.example/in", fallback_url=FALLBACK, daily_click_cap=2)
    assert [follow(client, tracker, partner, offer).headers["Location"] for _ in range(3)] == \
        ["https://advertiser.example/in"] * 2 + [FALLBACK]
    db.session.expire_all()
    recorded = list(db.session.scalars(select(Click).where(Click.offer_id == offer.id).order_by(Click.id)))
    assert [(c.error_code, c.error_message) for c in recorded] == \
        [(None, None), (None, None), (clicks.CAPPED, "Offer cap reached")]
    assert follow(client, tracker, partner, offer).headers["Location"] == FALLBACK  # invalid clicks do not count


def test_a_conversion_cap_counts_counted_conversions_only(client, make, tracker):
    partner = make.partner()
    offer = make.offer(destination_url="https://advertiser.example/in", fallback_url=FALLBACK,
                       daily_conversion_cap=2)
    make.conversion(partner, offer, status="rejected")
    make.conversion(partner, offer)
    make.conversion(make.partner(is_test=True), offer, is_test=True)  # test traffic
    make.conversion(partner, make.offer())  # another offer
    assert follow(client, tracker, partner, offer).headers["Location"] == "https://advertiser.example/in"
    make.conversion(make.partner(), offer, status="pending")  # any partner's conversions fill the offer's cap
    assert follow(client, tracker, partner, offer).headers["Location"] == FALLBACK


def test_yesterdays_clicks_fill_the_global_cap_not_the_daily_one(client, make, tracker):
    partner = make.partner()
    daily = make.offer(destination_url="https://advertiser.example/d", fallback_url=FALLBACK, daily_click_cap=1)
    whole = make.offer(destination_url="https://advertiser.example/g", fallback_url=FALLBACK, global_click_cap=1)
    yesterday = datetime.now(UTC) - timedelta(days=1, hours=1)
    make.click(partner, daily, at=yesterday)
    make.click(partner, whole, at=yesterday)
    assert follow(client, tracker, partner, daily).headers["Location"] == "https://advertiser.example/d"
    assert follow(client, tracker, partner, whole).headers["Location"] == FALLBACK


def test_a_capped_offer_stays_capped_for_the_cache_window_only(client, db, make, tracker):
    partner = make.partner()
    offer = make.offer(destination_url="https://advertiser.example/in", fallback_url=FALLBACK, daily_click_cap=1)
    make.click(partner, offer)
    assert follow(client, tracker, partner, offer).headers["Location"] == FALLBACK
    offer.daily_click_cap = 5  # staff raise the cap
    db.session.commit()
    assert follow(client, tracker, partner, offer).headers["Location"] == "https://advertiser.example/in"


def test_periods_start_in_the_networks_timezone(make):
    new_york = ZoneInfo("America/New_York")
    now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 02:00 UTC is Sunday 21:00 in New York
    assert offer_caps.period_start("daily", now, new_york) == datetime(2026, 12, 6, tzinfo=new_york)
    assert offer_caps.period_start("weekly", now, new_york) == datetime(2026, 11, 30, tzinfo=new_york)
    assert offer_caps.period_start("monthly", now, new_york) == datetime(2026, 12, 1, tzinfo=new_york)
    assert offer_caps.period_start("global", now, new_york) is None
    assert offer_caps.period_start("weekly", now, ZoneInfo("UTC")) == datetime(2026, 12, 7, tzinfo=UTC)

    partner, offer = make.partner(), make.offer(daily_click_cap=1)
    make.click(partner, offer, at=datetime(2026, 12, 6, 23, 0, tzinfo=UTC))  # Sunday 18:00 in New York
    caps = (("daily", "click", 1), ("weekly", "click", 1), ("global", "click", 1))
    assert offer_caps.used(offer.id, caps, now, ZoneInfo("UTC")) == [0, 0, 1]  # a Sunday: last week in UTC
    assert offer_caps.used(offer.id, caps, now, new_york) == [1, 1, 1]  # still Sunday, this week, in New York


def test_an_unknown_network_timezone_counts_days_in_utc(client, make, tracker, network_timezone):
    network_timezone("Mars/Olympus_Mons")
    partner = make.partner()
    offer = make.offer(destination_url="https://advertiser.example/in", fallback_url=FALLBACK, daily_click_cap=1)
    assert follow(client, tracker, partner, offer).headers["Location"] == "https://advertiser.example/in"
    assert follow(client, tracker, partner, offer).headers["Location"] == FALLBACK
