"""`flask demo-data`: the same seed gives the same data, it never overwrites data or runs in production,
and the data it makes fills the pages a demo shows."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime

import pytest
from PIL import Image
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import aliased

from portal.cli.demo.catalogue import OFFERS
from portal.cli.demo.people import DEMO_PASSWORD
from portal.cli.demo.timeline import Window
from portal.cli.demo.traffic import OfferPlan, TrafficGenerator
from portal.cli.demo.vocabulary import profile_for
from portal.extensions import db as _db
from portal.models import (CONVERSION_STATUSES, KEY_PERMISSIONS, PERMISSIONS, Click, Conversion, CouponCode, Creative,
                           NetworkSettings, Offer, OfferAccess, OfferUrl, Partner, PartnerKeyReservation, PartnerUser,
                           StaffUser)
from portal.storage import store_for

SMALL = ("--clicks", "3000", "--conversions", "300")
END_DATE = "2026-03-15"


@pytest.fixture
def app(make_app, tmp_path):
    """The demo's banners are stored in this test's own directory."""
    app = make_app(STORAGE_DIR=str(tmp_path / "files"))
    with app.app_context():
        yield app
        _db.session.remove()


@pytest.fixture
def demo_data(app):
    """Run `flask demo-data` at a small size; the app's context is the one the command uses."""
    def run(*args):
        return app.test_cli_runner().invoke(args=["demo-data", *SMALL, *args])

    return run


@pytest.fixture
def generated(demo_data):
    def run(*args):
        result = demo_data(*args)
        assert result.exit_code == 0, result.output
        return result

    return run


def row_counts(db) -> dict[str, int]:
    present = set(inspect(db.session.connection()).get_table_names())
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables if t.name in present}


def fingerprint(db):
    """Everything the seed decides, by natural keys (database ids may differ between engines and runs)."""
    partner_key = dict(db.session.execute(select(Partner.id, Partner.partner_key)).all())
    offer_name = dict(db.session.execute(select(Offer.id, Offer.name)).all())
    partners = sorted(db.session.execute(select(
        Partner.partner_key, Partner.partnership_key, Partner.name, Partner.status, Partner.created_at)).all())
    offers = sorted(db.session.execute(select(
        Offer.name, Offer.payout_type, Offer.payout_amount, Offer.network_revenue_amount, Offer.hold_days)).all())
    clicks = sorted(
        (c.transaction_id, partner_key[c.partner_id], offer_name[c.offer_id], c.sub1, c.sub2, c.sub3, c.sub4,
         c.sub5, c.source_id, c.ip, c.country, c.device, c.is_unique, c.is_test, c.created_at)
        for c in db.session.execute(select(Click)).scalars())
    conversions = sorted(
        (c.conversion_id, c.transaction_id, partner_key[c.partner_id], offer_name[c.offer_id], c.status,
         c.event_name, c.payout_cents, c.network_revenue_cents, c.sale_amount_cents, c.order_id, c.coupon_code,
         c.is_test, c.hold_until, c.created_at)
        for c in db.session.execute(select(Conversion)).scalars())
    return partners, offers, clicks, conversions


def test_the_same_seed_and_end_date_give_the_same_data(generated, db):
    generated("--seed", "7", "--end-date", END_DATE)
    first = fingerprint(db)
    assert len(first[2]) == 3000 and len(first[3]) == 300

    generated("--seed", "7", "--end-date", END_DATE, "--reset")
    assert fingerprint(db) == first

    generated("--seed", "8", "--end-date", END_DATE, "--reset")
    assert fingerprint(db) != first


def test_a_second_run_is_refused_without_reset_and_changes_nothing(demo_data, generated, db):
    generated("--if-empty")  # what `make run` does on a fresh database: it generates
    before = row_counts(db)
    assert before["offers"] and before["conversions"] == 300

    refused = demo_data()
    assert refused.exit_code != 0
    assert "--reset" in refused.output
    assert row_counts(db) == before

    skipped = generated("--if-empty")
    assert row_counts(db) == before
    assert "Sign in at http://127.0.0.1:5000/login" in skipped.stdout
    for email in ("admin@example.com", "am@example.com", "partner@example.com", "analyst@example.com"):
        assert re.search(rf"{re.escape(email)}\s+{DEMO_PASSWORD}", skipped.stdout)


def test_reset_keeps_what_the_migrations_create_and_gives_the_same_ids(generated, db):
    gstest_id = db.session.scalar(select(Partner.id).where(Partner.partner_key == "gstest"))
    generated("--end-date", END_DATE)
    generated("--end-date", END_DATE, "--reset")
    ids = db.session.execute(select(Partner.partner_key, Partner.id).order_by(Partner.id)).all()
    generated("--end-date", END_DATE, "--reset")
    assert db.session.execute(select(Partner.partner_key, Partner.id).order_by(Partner.id)).all() == ids
    assert db.session.scalar(select(Partner.id).where(Partner.partner_key == "gstest")) == gstest_id
    assert db.session.get(PartnerKeyReservation, "gstest").partner_id == gstest_id
    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 2
    assert db.session.scalar(select(func.count()).select_from(Conversion)) == 300


def test_refuses_under_the_production_configuration(make_app):
    production = make_app(ENV_NAME="production")
    result = production.test_cli_runner().invoke(args=["demo-data", *SMALL])
    assert result.exit_code != 0
    assert "production" in result.output
    with production.app_context():
        assert _db.session.scalar(select(func.count()).select_from(StaffUser)) == 0
        assert _db.session.scalar(select(func.count()).select_from(Offer)) == 0


@pytest.mark.parametrize("args, message", [
    (("--if-empty", "--reset"), "contradict"),
    (("--end-date", "2999-01-01"), "future"),
    (("--clicks", "10", "--conversions", "11"), "cannot exceed"),
])
def test_contradictory_options_are_refused(app, db, args, message):
    result = app.test_cli_runner().invoke(args=["demo-data", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_the_demo_has_every_case_a_page_needs(generated, db):
    generated()
    conversions = list(db.session.scalars(select(Conversion)))
    assert {c.status for c in conversions} == set(CONVERSION_STATUSES)
    assert any(c.event_name for c in conversions)
    assert any(c.is_test for c in conversions)
    assert any(c.hold_until and c.hold_until > datetime.now(UTC) for c in conversions if c.status == "on_hold")
    assert all(c.network_revenue_cents > c.payout_cents > 0 for c in conversions)
    offers = {o.id: o for o in db.session.scalars(select(Offer))}
    assert all(c.payout_cents == offers[c.offer_id].payout_for(c.sale_amount_cents) for c in conversions)
    assert {o.payout_type for o in offers.values()} == {"flat", "percent"}
    assert db.session.get(NetworkSettings, 1).network_name == "Northwind Partners"

    partners = list(db.session.scalars(select(Partner)))
    assert [p.status for p in partners if p.onboarding == "onboarding"] == ["pending"]
    assert sum(p.fraud_flag for p in partners) == 1
    manager = db.session.scalar(select(StaffUser).where(StaffUser.email == "am@example.com"))
    assert all(p.account_manager_id == manager.id for p in partners)
    gstest = next(p for p in partners if p.partner_key == "gstest")
    assert db.session.scalar(select(func.count()).where(Click.partner_id == gstest.id)) > 0
    assert db.session.scalar(select(func.count()).where(Conversion.partner_id == gstest.id)) > 0

    owner = db.session.scalar(select(PartnerUser).where(PartnerUser.email == "partner@example.com"))
    assert owner.partner.partner_key == "jamierivera" and owner.role == "admin"
    assert sorted((u.email, u.role) for u in owner.partner.users) == [
        ("analyst@example.com", "reports"), ("partner@example.com", "admin")]
    by_partner = dict(db.session.execute(
        select(Conversion.partner_id, func.count()).group_by(Conversion.partner_id)).all())
    assert max(by_partner, key=by_partner.get) == owner.partner_id

    admin = db.session.scalar(select(StaffUser).where(StaffUser.email == "admin@example.com"))
    assert set(admin.permissions) == set(PERMISSIONS)
    assert not manager.can_any(*KEY_PERMISSIONS) and manager.can("partners:manage")

    reserved = set(db.session.execute(select(PartnerKeyReservation.key, PartnerKeyReservation.partner_id)).all())
    assert {(p.partner_key, p.id) for p in partners} <= reserved


def test_every_conversion_comes_from_a_click_of_the_same_partner_and_offer(generated, db):
    generated("--big-partner-conversions", "200")
    click = aliased(Click)
    orphans = db.session.scalar(select(func.count()).select_from(Conversion).outerjoin(click, (
        (click.transaction_id == Conversion.transaction_id) & (click.partner_id == Conversion.partner_id)
        & (click.offer_id == Conversion.offer_id) & (click.created_at < Conversion.created_at)
        & (click.created_at == Conversion.click_created_at) & (click.sub3 == Conversion.sub3)
        & (click.is_test == Conversion.is_test)
    )).where(click.id.is_(None)))
    assert orphans == 0
    big = db.session.scalar(select(Partner).where(Partner.name == "Big Partner"))
    assert big.partner_key == "benchmarkpartner"
    assert db.session.scalar(select(func.count()).where(Conversion.partner_id == big.id)) == 200
    assert db.session.scalar(select(func.count()).where(Click.partner_id == big.id)) == 1000
    assert db.session.scalar(select(func.max(Click.created_at))) < datetime.now(UTC)


def test_the_demo_partner_signs_in_and_sees_this_month(generated, client):
    generated()
    response = client.post("/login", data={"email": "partner@example.com", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    for period in ("today", "this-month"):
        row = re.search(rf'<tr data-period="{period}">(.*?)</tr>', page, re.S).group(1)
        figures = dict(re.findall(r'data-metric="(\w+)">([^<]*)<', row))
        assert figures["earnings"] != "$0.00" and figures["clicks"] != "0" and figures["conversions"] != "0"


def test_the_demo_offers_have_pages_creatives_coupons_and_access(generated, db, app):
    generated()
    offers = {o.id: o for o in db.session.scalars(select(Offer))}
    assert all("<ul>" in o.description and 'rel="noopener nofollow"' in o.description for o in offers.values())
    assert {u.offer_id for u in db.session.scalars(select(OfferUrl))} == set(offers)
    banners = list(db.session.scalars(select(Creative).where(Creative.creative_type == "image")))
    assert banners and {(b.width, b.height) for b in banners} == {(300, 250), (728, 90)}
    for banner in banners:
        with store_for(app).open(banner.file_key) as stored, Image.open(stored) as picture:
            assert picture.format == "PNG" and picture.size == (banner.width, banner.height)
    main = db.session.scalar(select(PartnerUser).where(PartnerUser.email == "partner@example.com")).partner_id
    assert {c.partner_id for c in db.session.scalars(select(CouponCode))} == {main}
    # Access, not traffic, makes a gated offer runnable: every partner with clicks on one holds an approval.
    gated = {i for i, o in offers.items() if o.visibility != "public"}
    with_traffic = set(db.session.execute(select(Click.partner_id, Click.offer_id).distinct()
                                          .where(Click.offer_id.in_(gated))).all())
    approved = set(db.session.execute(select(OfferAccess.partner_id, OfferAccess.offer_id)
                                      .where(OfferAccess.status == "approved")).all())
    assert with_traffic and with_traffic <= approved
    [pending] = db.session.scalars(select(OfferAccess).where(OfferAccess.status == "pending"))
    assert offers[pending.offer_id].visibility == "require_approval" and pending.partner_id != main
    assert db.session.scalar(select(StaffUser).where(StaffUser.email == "am@example.com")).can("offers:manage")


def test_a_unique_demo_click_on_a_cpc_offer_earns_the_cpc():
    rng = random.Random(7)
    window = Window.ending(date(2026, 3, 15), 3, datetime(2026, 4, 1, tzinfo=UTC))
    plans = [OfferPlan(Offer(id=1, payout_type="cpc", payout_amount=35), OFFERS[0]),
             OfferPlan(Offer(id=2, payout_type="flat", payout_amount=900), OFFERS[1])]
    traffic = TrafficGenerator(rng, window)
    profile = profile_for(rng, short="bb", domain="bluebird.example", home_country="US", year=2026)
    clicks = [click for day_clicks, _ in traffic.batches([traffic.stream(1, profile, plans, 400, 20)])
              for click in day_clicks]
    earned = {(c["offer_id"], c["is_unique"], c["payout_cents"]) for c in clicks}
    assert earned == {(1, True, 35), (1, False, 0), (2, True, 0), (2, False, 0)}
