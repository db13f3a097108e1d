"""Invoice runs: approved conversions invoiced once per partner and period, to the cent; thresholds carry
over; a rejection after invoicing is an adjustment on the next invoice; voids release; payments add up."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, BillingAdjustment, Conversion, Invoice, InvoiceLine, NetworkSettings
from portal.services.billing_adjustments import AdjustmentError, add_adjustment
from portal.services.conversion_status import change_status
from portal.services.invoices import BillingError, generate_invoices, month_period, void_invoice
from portal.services.payments import record_payment
from tests.invoicing import generate_invoices_after, invoicing_at

NOV = month_period("2026-11")
DEC = month_period("2026-12")


def _in_nov(day: int = 10, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def _invoices(db, partner) -> list[Invoice]:
    return db.session.scalars(select(Invoice).where(Invoice.partner_id == partner.id).order_by(Invoice.id)).all()


def _approved_payouts(db, partner) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Conversion.payout_cents), 0)).where(
        Conversion.partner_id == partner.id, Conversion.status == "approved", Conversion.is_test.is_(False)))


def test_a_run_invoices_each_offer_on_a_line_and_the_total_to_the_cent(app, db, make):
    partner, staff = make.partner(), make.staff()
    first, second = make.offer(name="Shoes"), make.offer(name="Hats")
    for cents in (333, 1001, 7):
        make.conversion(partner, first, at=_in_nov(), payout_cents=cents)
    make.conversion(partner, second, at=_in_nov(20), payout_cents=1999)
    make.conversion(partner, second, at=_in_nov(21), payout_cents=500, status="pending")
    make.conversion(partner, second, at=_in_nov(21), payout_cents=500, status="rejected")
    make.conversion(partner, second, at=_in_nov(21), payout_cents=500, is_test=True)
    make.conversion(partner, second, at=datetime(2026, 12, 1, 1, tzinfo=UTC), payout_cents=900)  # December

    result = generate_invoices(*NOV, None, staff)

    [invoice] = _invoices(db, partner)
    assert [i.id for i in result.invoices] == [invoice.id]
    assert invoice.total_cents == 333 + 1001 + 7 + 1999
    assert invoice.status == "unpaid" and invoice.balance_cents == invoice.total_cents
    assert invoice.number == f"INV-{invoice.id:06d}" and invoice.created_by_id == staff.id
    lines = db.session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)
                               .order_by(InvoiceLine.offer_id)).all()
    assert [(line.description, line.conversions, line.amount_cents) for line in lines] == [
        ("Shoes", 3, 1341), ("Hats", 1, 1999)]
    assert (invoice.period_start, invoice.period_end) == NOV
    assert invoice.terms_days == 30 and (invoice.due_on - invoice.created_at.date()).days == 30
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "invoice.created", AuditEvent.target_id == str(invoice.id))) == 1


def test_running_the_same_month_twice_invoices_nothing_twice(app, db, make):
    partner, offer = make.partner(), make.offer()
    for day in (1, 15, 30):
        make.conversion(partner, offer, at=_in_nov(day), payout_cents=1234)
    generate_invoices(*NOV, None, None)
    again = generate_invoices(*NOV, None, None)
    assert again.invoices == []
    [invoice] = _invoices(db, partner)
    assert invoice.total_cents == _approved_payouts(db, partner) == 3 * 1234
    # A conversion approved later is invoiced by the next run, once.
    late = make.conversion(partner, offer, at=_in_nov(29), payout_cents=50, status="pending")
    change_status(late, "approved", None)
    generate_invoices_after(*DEC, None, None)
    assert [i.total_cents for i in _invoices(db, partner)] == [3702, 50]
    assert sum(i.total_cents for i in _invoices(db, partner)) == _approved_payouts(db, partner)


def test_periods_are_days_in_the_partners_timezone(app, db, make):
    offer = make.offer()
    tokyo = make.partner(timezone="Asia/Tokyo")
    # 2026-11-30 20:00 UTC is already December 1st in Tokyo: not November's.
    make.conversion(tokyo, offer, at=datetime(2026, 11, 30, 20, tzinfo=UTC), payout_cents=100)
    make.conversion(tokyo, offer, at=datetime(2026, 11, 30, 10, tzinfo=UTC), payout_cents=200)
    generate_invoices(*NOV, [tokyo.id], None)
    assert [i.total_cents for i in _invoices(db, tokyo)] == [200]


def test_a_partner_under_the_minimum_payout_rolls_into_the_next_run(app, db, make):
    settings = db.session.get(NetworkSettings, 1)
    settings.minimum_payout_cents = 5000
    db.session.commit()
    partner, offer = make.partner(), make.offer()
    make.conversion(partner, offer, at=_in_nov(), payout_cents=3000)
    result = generate_invoices(*NOV, None, None)
    assert result.below_threshold == [partner.id] and _invoices(db, partner) == []
    assert db.session.scalar(select(func.count()).select_from(Conversion).where(
        Conversion.partner_id == partner.id, Conversion.invoice_id.is_not(None))) == 0
    make.conversion(partner, offer, at=datetime(2026, 12, 5, tzinfo=UTC), payout_cents=2500)
    generate_invoices_after(*DEC, None, None)
    [invoice] = _invoices(db, partner)
    assert invoice.total_cents == 5500
    assert invoice.period_start == date(2026, 11, 10)  # widened to the carried conversion's day


def test_rejecting_an_invoiced_conversion_becomes_an_adjustment_on_the_next_invoice(app, db, make):
    partner, offer, staff = make.partner(), make.offer(), make.staff()
    kept = make.conversion(partner, offer, at=_in_nov(), payout_cents=4000)
    rejected = make.conversion(partner, offer, at=_in_nov(), payout_cents=1500)
    generate_invoices(*NOV, None, staff)
    [sent] = _invoices(db, partner)

    assert change_status(rejected, "rejected", staff)

    db.session.refresh(sent)
    assert sent.total_cents == 5500  # the sent invoice is not rewritten
    [pending] = db.session.scalars(select(BillingAdjustment).where(BillingAdjustment.partner_id == partner.id)).all()
    assert (pending.kind, pending.amount_cents, pending.invoice_id) == ("reversal", -1500, None)
    assert pending.reason == f"conversion {rejected.conversion_id} rejected"
    make.conversion(partner, offer, at=datetime(2026, 12, 3, tzinfo=UTC), payout_cents=2000)
    generate_invoices_after(*DEC, None, staff)
    sent_first, following = _invoices(db, partner)
    assert following.total_cents == 2000 - 1500
    lines = db.session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == following.id)
                               .order_by(InvoiceLine.id)).all()
    assert [(line.kind, line.amount_cents) for line in lines] == [("offer", 2000), ("adjustment", -1500)]
    # What the partner is owed overall equals the approved conversions' payouts.
    assert sent_first.total_cents + following.total_cents == _approved_payouts(db, partner) == 6000
    assert kept.id


def test_a_rejection_undone_before_the_next_run_leaves_no_adjustment(app, db, make):
    partner, offer = make.partner(), make.offer()
    conversion = make.conversion(partner, offer, at=_in_nov(), payout_cents=800)
    generate_invoices(*NOV, None, None)
    change_status(conversion, "rejected", None)
    change_status(conversion, "approved", None)
    assert db.session.scalars(select(BillingAdjustment)).all() == []


def test_voiding_releases_the_conversions_for_the_next_run(app, db, make):
    partner, offer, staff = make.partner(), make.offer(), make.staff()
    conversions = [make.conversion(partner, offer, at=_in_nov(), payout_cents=700) for _ in range(3)]
    add_adjustment(partner.id, "bonus", 300, "Launch bonus", staff)
    generate_invoices(*NOV, None, staff)
    [first] = _invoices(db, partner)
    assert first.total_cents == 2400
    change_status(conversions[0], "rejected", staff)  # a pending reversal of 700

    void_invoice(first.id, staff)

    db.session.expire_all()
    assert first.status == "void" and first.balance_cents == 0
    assert db.session.scalar(select(func.count()).select_from(Conversion).where(
        Conversion.invoice_id.is_not(None))) == 0
    # The reversal is withdrawn (the rejected conversion is no longer invoiced); the bonus is pending again.
    assert [(a.kind, a.amount_cents, a.invoice_id) for a in db.session.scalars(select(BillingAdjustment))] == [
        ("bonus", 300, None)]
    generate_invoices(*NOV, None, staff)
    _, second = _invoices(db, partner)
    assert second.total_cents == 700 * 2 + 300
    with pytest.raises(BillingError):
        void_invoice(first.id, staff)


def test_partial_payments_leave_a_balance_until_the_invoice_is_paid(app, db, make):
    partner, offer, staff = make.partner(), make.offer(), make.staff()
    make.conversion(partner, offer, at=_in_nov(), payout_cents=10_000)
    [invoice] = generate_invoices(*NOV, None, staff).invoices
    record_payment(invoice.id, date(2026, 12, 5), 2_500, "paypal", "PP-1", staff)
    db.session.refresh(invoice)
    assert (invoice.status, invoice.paid_cents, invoice.balance_cents) == ("unpaid", 2_500, 7_500)
    with pytest.raises(BillingError):  # more than the balance
        record_payment(invoice.id, date(2026, 12, 6), 7_501, "paypal", "PP-2", staff)
    with pytest.raises(BillingError):
        void_invoice(invoice.id, staff)  # payments recorded
    record_payment(invoice.id, date(2026, 12, 6), 7_500, "bank_transfer", "WIRE-9", staff)
    db.session.refresh(invoice)
    assert (invoice.status, invoice.balance_cents) == ("paid", 0)
    with pytest.raises(BillingError):
        record_payment(invoice.id, date(2026, 12, 7), 1, "paypal", "", staff)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "invoice.payment_recorded")) == 2


@pytest.mark.parametrize(("kind", "amount", "reason"), [
    ("gift", 100, "x"), ("bonus", 0, "x"), ("deduction", -5, "x"), ("bonus", 10**13, "x"), ("bonus", 100, " "),
    ("bonus", 100, "r" * 301)])
def test_adjustments_refuse_bad_values(app, db, make, kind, amount, reason):
    partner = make.partner()
    with pytest.raises(AdjustmentError):
        add_adjustment(partner.id, kind, amount, reason, None)


def test_deductions_reduce_the_next_invoice_and_a_negative_total_waits(app, db, make):
    partner, offer = make.partner(), make.offer()
    make.conversion(partner, offer, at=_in_nov(), payout_cents=1000)
    add_adjustment(partner.id, "deduction", 1500, "Chargeback", None)
    assert generate_invoices(*NOV, None, None).below_threshold == [partner.id]
    make.conversion(partner, offer, at=datetime(2026, 12, 2, tzinfo=UTC), payout_cents=1000)
    [invoice] = generate_invoices_after(*DEC, None, None).invoices
    assert invoice.total_cents == 500


def test_month_period_reads_year_and_month_only():
    assert month_period("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    for bad in ("2024-13", "nov", "2024-02-01", "99999999999-01", ""):
        with pytest.raises(BillingError):
            month_period(bad)


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1999-12", "3000-01"])
def test_months_outside_the_supported_years_are_refused_clearly(month):
    with pytest.raises(BillingError, match="years 2000–2999"):
        month_period(month)


def test_a_period_ending_at_the_calendars_edge_is_refused_clearly(db):
    with pytest.raises(BillingError, match="years 2000–2999"):
        generate_invoices(date(2026, 12, 1), date(9999, 12, 31), None, None)


@pytest.mark.parametrize("network_timezone,now,invoiceable", [
    ("UTC", datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC), False),  # November's last day is still running
    ("UTC", datetime(2026, 12, 1, 0, 0, tzinfo=UTC), True),
    ("UTC", datetime(2026, 11, 15, 12, tzinfo=UTC), False),
    ("America/New_York", datetime(2026, 12, 1, 4, 59, tzinfo=UTC), False),  # 23:59 on Nov 30 in New York
    ("America/New_York", datetime(2026, 12, 1, 5, 0, tzinfo=UTC), True),
    ("Asia/Tokyo", datetime(2026, 11, 30, 14, 59, tzinfo=UTC), False),  # 23:59 on Nov 30 in Tokyo
    ("Asia/Tokyo", datetime(2026, 11, 30, 15, 0, tzinfo=UTC), True),
])
def test_a_period_is_invoiced_only_once_its_last_day_is_over_in_the_networks_timezone(
        app, db, make, network_timezone, now, invoiceable):
    db.session.get(NetworkSettings, 1).timezone = network_timezone
    db.session.commit()
    partner, offer = make.partner(), make.offer()
    make.conversion(partner, offer, at=_in_nov(), payout_cents=1234)
    with invoicing_at(now):
        if invoiceable:
            assert [i.partner_id for i in generate_invoices(*NOV, None, None).invoices] == [partner.id]
        else:
            with pytest.raises(BillingError, match=f"2026-11-30, which is not over yet .*{network_timezone}"):
                generate_invoices(*NOV, None, None)
            assert _invoices(db, partner) == []


def test_an_unfinished_month_cannot_be_invoiced_early_and_then_again(app, db, make):
    partner, offer = make.partner(), make.offer()
    make.conversion(partner, offer, at=datetime(2026, 12, 3, tzinfo=UTC), payout_cents=1000)
    with invoicing_at(datetime(2026, 12, 10, 9, tzinfo=UTC)), pytest.raises(BillingError, match="not over yet"):
        generate_invoices(*DEC, None, None)
    make.conversion(partner, offer, at=datetime(2026, 12, 20, tzinfo=UTC), payout_cents=500)
    with invoicing_at(datetime(2027, 1, 1, 9, tzinfo=UTC)):
        generate_invoices(*DEC, None, None)
        assert generate_invoices(*DEC, None, None).invoices == []
    [invoice] = _invoices(db, partner)
    assert (invoice.period_start, invoice.period_end, invoice.total_cents) == (*DEC, 1500)


@pytest.mark.parametrize("last_day,invoiceable", [(date(2026, 12, 9), True), (date(2026, 12, 10), False),
                                                  (date(2026, 12, 31), False)])
def test_a_custom_range_for_one_partner_must_have_ended_too(app, db, make, last_day, invoiceable):
    partner, offer = make.partner(), make.offer()
    make.conversion(partner, offer, at=datetime(2026, 12, 3, tzinfo=UTC), payout_cents=1000)
    with invoicing_at(datetime(2026, 12, 10, 9, tzinfo=UTC)):
        if invoiceable:
            assert len(generate_invoices(date(2026, 12, 1), last_day, [partner.id], None).invoices) == 1
        else:
            with pytest.raises(BillingError, match="not over yet"):
                generate_invoices(date(2026, 12, 1), last_day, [partner.id], None)
