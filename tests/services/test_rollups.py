"""Report rollups always equal what the raw clicks and conversions say, however they were written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from portal.models import ROLLUP_METRICS, OfferAccess, Partner, ReportRollup
from portal.services import rollups

START = datetime(2026, 3, 1, tzinfo=UTC)


def rollup_rows(db, partner_ids):
    stmt = select(ReportRollup).where(ReportRollup.partner_id.in_(partner_ids))
    return {(r.partner_id, r.hour, r.offer_id, r.sub1, r.is_test): tuple(getattr(r, m) for m in ROLLUP_METRICS)
            for r in db.session.scalars(stmt)
            if any(getattr(r, m) for m in ROLLUP_METRICS)}  # a status change can leave a row of zeros


def rebuilt(db, partner_ids):
    rollups.rebuild(db.session, partner_ids)
    db.session.commit()
    return rollup_rows(db, partner_ids)


traffic = st.lists(st.tuples(
    st.sampled_from(["click", "invalid_click", "impression", "conversion"]),
    st.integers(min_value=0, max_value=72 * 60),  # minutes after START
    st.sampled_from([None, "", "spring_email", "summer_push"]),
    st.sampled_from(["approved", "pending", "rejected", "on_hold"]),
    st.sampled_from([None, "upsell"]),
    st.booleans(), st.booleans(), st.integers(min_value=0, max_value=100_000),
), max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=traffic)
def test_rollups_written_with_the_traffic_equal_a_rebuild_from_raw_rows(make, db, events):
    partner = make.partner()
    flat, cpc = make.offer(), make.offer(payout_type="cpc", payout_amount=35)
    overridden = make.offer(payout_type="flat", payout_amount=900)
    make.access(partner, overridden, payout_type="cpc", payout_amount=12)  # the partner's override wins
    offers = [flat, cpc, overridden]
    for n, (kind, minutes, sub1, status, event, unique, test, cents) in enumerate(events):
        at, offer = START + timedelta(minutes=minutes), offers[n % 3]
        if kind == "click":
            make.click(partner, offer, at=at, sub1=sub1, is_unique=unique, is_test=test)
        elif kind == "invalid_click":
            make.click(partner, offer, at=at, sub1=sub1, is_unique=unique, is_test=test, error_code=cents % 5 + 1,
                       error_message="offer paused")
        elif kind == "impression":
            make.impression(partner, offer, at=at, sub1=sub1, is_test=test)
        else:
            make.conversion(partner, offer, at=at, sub1=sub1, status=status, event_name=event, is_test=test,
                            payout_cents=cents)
    incremental = rollup_rows(db, [partner.id])
    assert incremental == rebuilt(db, [partner.id])


def test_a_status_change_moves_the_conversion_between_totals(make, db):
    partner, offer = make.partner(), make.offer()
    conversion = make.conversion(partner, offer, at=START, status="on_hold", payout_cents=900)
    before = rollup_rows(db, [partner.id])
    delta = rollups.RollupDelta()
    conversion.status = "approved"
    delta.status_change(conversion, old_status="on_hold")
    rollups.apply(db.session, delta)
    db.session.commit()
    after = rollup_rows(db, [partner.id])
    (values_before,), (values_after,) = before.values(), after.values()
    metrics = dict(zip(ROLLUP_METRICS, values_after))
    assert dict(zip(ROLLUP_METRICS, values_before))["on_hold_conversions"] == 1
    assert metrics["conversions"] == 1 and metrics["earnings_cents"] == 900 and metrics["on_hold_conversions"] == 0
    assert after == rebuilt(db, [partner.id])


def test_the_demo_data_comes_with_rollups_equal_to_its_raw_rows(app, db):
    result = app.test_cli_runner().invoke(args=["demo-data", "--clicks", "3000", "--conversions", "300",
                                                "--end-date", "2026-03-15"])
    assert result.exit_code == 0, result.output
    partner_ids = list(db.session.scalars(select(Partner.id)))
    written = rollup_rows(db, partner_ids)
    assert written and written == rebuilt(db, partner_ids)


def test_the_rebuild_command_repairs_rollups(app, make, db):
    partner, offer = make.partner(), make.offer()
    make.conversion(partner, offer, at=START)
    expected = rollup_rows(db, [partner.id])
    db.session.execute(delete(ReportRollup))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["reports", "rebuild-rollups", "--partner", partner.partner_key])
    assert result.exit_code == 0 and partner.partner_key in result.output
    assert rollup_rows(db, [partner.id]) == expected
    unknown = app.test_cli_runner().invoke(args=["reports", "rebuild-rollups", "--partner", "nobody"])
    assert unknown.exit_code != 0 and "nobody" in unknown.output


def test_counted_statuses_are_the_ones_reports_count():
    assert rollups.conversion_totals("approved", None, 500, 700) == (0, 0, 1, 0, 500, 0, 0, 0, 0, 700)
    assert rollups.conversion_totals("pending", "upsell", 200, 250) == (0, 0, 0, 1, 200, 0, 0, 0, 0, 250)
    assert rollups.conversion_totals("on_hold", None, 300, 400) == (0, 0, 0, 0, 0, 1, 300, 0, 0, 0)
    assert rollups.conversion_totals("rejected", None, 300, 400) == (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def totals(db, partner):
    """One partner's rollup totals by metric name."""
    rows = rollup_rows(db, [partner.id]).values()
    return {m: sum(row[i] for row in rows) for i, m in enumerate(ROLLUP_METRICS)}


def test_an_invalid_click_is_counted_apart_from_total_and_unique_clicks(make, db):
    # Everflow: total_click is unique + duplicate valid clicks; invalid clicks only add to gross clicks.
    partner, offer = make.partner(), make.offer(payout_type="cpc", payout_amount=40)
    make.click(partner, offer, at=START, is_unique=True)
    make.click(partner, offer, at=START, is_unique=False)
    make.click(partner, offer, at=START, is_unique=True, error_code=3, error_message="offer is paused")
    counted = totals(db, partner)
    assert (counted["clicks"], counted["unique_clicks"], counted["invalid_clicks"]) == (2, 1, 1)
    assert counted["earnings_cents"] == 40  # only the unique valid click earns its CPC
    assert rollup_rows(db, [partner.id]) == rebuilt(db, [partner.id])


def test_cpc_earnings_follow_the_partners_override(make, db):
    partner, other = make.partner(), make.partner()
    cpc = make.offer(payout_type="cpc", payout_amount=40)
    make.access(partner, cpc, payout_type="cpc", payout_amount=55)
    flat_for_partner = make.offer(payout_type="cpc", payout_amount=40)
    make.access(partner, flat_for_partner, payout_type="flat", payout_amount=700)
    make.access(partner, make.offer(), status="pending")  # an access row without an override changes nothing
    for offer in (cpc, flat_for_partner):
        make.click(partner, offer, at=START)
        make.click(other, offer, at=START)
    assert totals(db, partner)["earnings_cents"] == 55  # the override; no CPC on the offer made flat for it
    assert totals(db, other)["earnings_cents"] == 80  # the offers' own CPC
    assert rollup_rows(db, [partner.id, other.id]) == rebuilt(db, [partner.id, other.id])


def test_click_payout_is_the_cpc_only_on_cpc_rules(make):
    flat, percent = make.offer(payout_amount=500), make.offer(payout_type="percent", payout_amount=1000)
    cpc = make.offer(payout_type="cpc", payout_amount=25)
    assert [rollups.click_payout_cents(o, None) for o in (flat, percent, cpc)] == [0, 0, 25]
    half = OfferAccess(payout_type="cpc", payout_amount=None)  # half an override is no override
    assert rollups.click_payout_cents(cpc, half) == 25


def test_impressions_are_counted_by_hour_offer_and_sub1(make, db):
    partner, offer = make.partner(), make.offer()
    make.impression(partner, offer, at=START, sub1="banner")
    make.impression(partner, offer, at=START + timedelta(minutes=5), sub1="banner")
    make.impression(partner, offer, at=START, is_test=True)
    rows = rollup_rows(db, [partner.id])
    index = ROLLUP_METRICS.index("impressions")
    assert sorted((key[3], key[4], row[index]) for key, row in rows.items()) == [("", True, 1), ("banner", False, 2)]
    assert rows == rebuilt(db, [partner.id])
