"""Report rollups always equal what the raw clicks and conversions say, however they were written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from portal.models import ROLLUP_METRICS, Partner, ReportRollup
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
    st.sampled_from(["click", "conversion"]),
    st.integers(min_value=0, max_value=72 * 60),  # minutes after START
    st.sampled_from([None, "", "spring_email", "summer_push"]),
    st.sampled_from(["approved", "pending", "rejected", "on_hold"]),
    st.sampled_from([None, "upsell"]),
    st.booleans(), st.booleans(), st.integers(min_value=0, max_value=100_000),
), max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=traffic)
def test_rollups_written_with_the_traffic_equal_a_rebuild_from_raw_rows(make, db, events):
    partner, offer = make.partner(), make.offer()
    for kind, minutes, sub1, status, event, unique, test, cents in events:
        at = START + timedelta(minutes=minutes)
        if kind == "click":
            make.click(partner, offer, at=at, sub1=sub1, is_unique=unique, is_test=test)
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
    assert rollups.conversion_totals("approved", None, 500) == (0, 0, 1, 0, 500, 0, 0)
    assert rollups.conversion_totals("pending", "upsell", 200) == (0, 0, 0, 1, 200, 0, 0)
    assert rollups.conversion_totals("on_hold", None, 300) == (0, 0, 0, 0, 0, 1, 300)
    assert rollups.conversion_totals("rejected", None, 300) == (0, 0, 0, 0, 0, 0, 0)
