"""Invoice runs: approved conversions invoiced once per partner and period, to the cent; thresholds carry
over; a rejection after invoicing is an adjustment on the next invoice; voids release; payments add up."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, BillingAdjustment, Click, Conversion, Invoice, InvoiceLine, NetworkSettings
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
    assert result.below_threshold == [(partner.id, "USD")] and _invoices(db, partner) == []
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
    assert generate_invoices(*NOV, None, None).below_threshold == [(partner.id, "USD")]
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


def test_each_currency_is_invoiced_on_its_own_and_never_added_to_another(app, db, make):
    """A USD partner earning on a EUR offer beside USD ones: one invoice per currency, each total the sum of
    that currency's payouts only; adjustments go on the invoice in their own currency."""
    partner = make.partner(currency="USD")
    dollars, euros = make.offer(name="US shoes", currency="USD"), make.offer(name="EU shoes", currency="EUR")
    make.conversion(partner, dollars, at=_in_nov(), payout_cents=1000)
    make.conversion(partner, euros, at=_in_nov(), payout_cents=2500)
    make.conversion(partner, euros, at=_in_nov(12), payout_cents=40)
    add_adjustment(partner.id, "bonus", 300, "Launch bonus", None, currency="EUR")
    add_adjustment(partner.id, "deduction", 100, "Chargeback", None)  # the partner's currency

    result = generate_invoices(*NOV, None, None)

    by_currency = {i.currency: i for i in _invoices(db, partner)}
    assert sorted(by_currency) == ["EUR", "USD"] and len(result.invoices) == 2
    assert by_currency["USD"].total_cents == 1000 - 100
    assert by_currency["EUR"].total_cents == 2500 + 40 + 300
    eur_lines = db.session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == by_currency["EUR"].id)
                                   .order_by(InvoiceLine.id)).all()
    assert [(line.kind, line.amount_cents) for line in eur_lines] == [("offer", 2540), ("adjustment", 300)]
    assert {c.invoice_id for c in db.session.scalars(select(Conversion).where(Conversion.offer_id == euros.id))} == {
        by_currency["EUR"].id}
    assert generate_invoices(*NOV, None, None).invoices == []


def test_the_minimum_payout_applies_to_each_currency_on_its_own(app, db, make):
    settings = db.session.get(NetworkSettings, 1)
    settings.minimum_payout_cents = 2000
    db.session.commit()
    partner = make.partner(currency="USD")
    make.conversion(partner, make.offer(currency="USD"), at=_in_nov(), payout_cents=1500)
    make.conversion(partner, make.offer(currency="EUR"), at=_in_nov(), payout_cents=1500)
    make.conversion(partner, make.offer(currency="GBP"), at=_in_nov(), payout_cents=2500)
    # 1500 + 1500 would pass the threshold if currencies were added; each alone does not.
    result = generate_invoices(*NOV, None, None)
    assert [(i.currency, i.total_cents) for i in result.invoices] == [("GBP", 2500)]
    assert sorted(result.below_threshold) == [(partner.id, "EUR"), (partner.id, "USD")]


def test_a_reversal_is_in_its_conversions_currency(app, db, make):
    partner = make.partner(currency="USD")
    euros = make.offer(currency="EUR")
    conversion = make.conversion(partner, euros, at=_in_nov(), payout_cents=700)
    make.conversion(partner, make.offer(currency="USD"), at=_in_nov(), payout_cents=900)
    generate_invoices(*NOV, None, None)
    change_status(db.session.get(Conversion, conversion.id), "rejected", None)
    [reversal] = db.session.scalars(select(BillingAdjustment).where(BillingAdjustment.kind == "reversal")).all()
    assert (reversal.currency, reversal.amount_cents) == ("EUR", -700)
    make.conversion(partner, euros, at=datetime(2026, 12, 3, tzinfo=UTC), payout_cents=1000)
    make.conversion(partner, make.offer(currency="USD"), at=datetime(2026, 12, 3, tzinfo=UTC), payout_cents=50)
    totals = {i.currency: i.total_cents for i in generate_invoices_after(*DEC, None, None).invoices}
    assert totals == {"EUR": 1000 - 700, "USD": 50}


@pytest.mark.parametrize("currency", ["EU", "EURO", "eur", "€UR", "E\ud800R", ""])
def test_an_adjustment_in_no_currency_is_refused(app, db, make, currency):
    partner = make.partner()
    with pytest.raises(AdjustmentError, match="currency"):
        add_adjustment(partner.id, "bonus", 100, "x", None, currency=currency)


def test_paid_clicks_are_invoiced_once_on_their_offers_line_and_a_void_releases_them(app, db, make):
    """A CPC offer's unique valid clicks earn when taken: the run invoices them with the offer's conversions,
    once; invalid, duplicate and test clicks earn nothing; a void gives them back to the next run."""
    partner = make.partner()
    cpc = make.offer(name="Per click", payout_type="cpc", payout_amount=35)
    cpa = make.offer(name="Per sale")
    for day in (3, 9, 28):
        make.click(partner, cpc, at=_in_nov(day))
    make.click(partner, cpc, at=_in_nov(4), is_unique=False)
    make.click(partner, cpc, at=_in_nov(5), error_code=9)
    make.click(partner, cpc, at=_in_nov(6), is_test=True)
    make.click(partner, cpc, at=datetime(2026, 12, 1, 1, tzinfo=UTC))  # December's
    make.click(partner, cpa, at=_in_nov())  # a CPA offer's click earns nothing by itself
    make.conversion(partner, cpc, at=_in_nov(), payout_cents=200)

    [invoice] = generate_invoices(*NOV, None, None).invoices
    assert invoice.total_cents == 3 * 35 + 200
    lines = db.session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()
    assert [(line.description, line.conversions, line.clicks, line.amount_cents) for line in lines] == [
        ("Per click", 1, 3, 305)]
    assert generate_invoices(*NOV, None, None).invoices == []
    assert db.session.scalar(select(func.count()).select_from(Click).where(Click.invoice_id == invoice.id)) == 3

    void_invoice(invoice.id, None)
    assert db.session.scalar(select(func.count()).select_from(Click).where(Click.invoice_id.is_not(None))) == 0
    [again] = generate_invoices_after(*DEC, None, None).invoices
    assert again.total_cents == 4 * 35 + 200  # November's three (carried) and December's one


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
    partner, offer = make.partner(timezone=network_timezone), make.offer()
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


def test_a_partner_whose_timezone_is_behind_is_left_until_its_own_last_day_is_over(app, db, make):
    """The network (UTC) is in December; a Los Angeles partner is still in November 30th: its November is
    not invoiced yet (its later conversions would need a second invoice of the period), the others' is."""
    offer = make.offer()
    angeleno, londoner = make.partner(timezone="America/Los_Angeles"), make.partner(timezone="Europe/London")
    for partner in (angeleno, londoner):
        make.conversion(partner, offer, at=_in_nov(), payout_cents=1000)
    with invoicing_at(datetime(2026, 12, 1, 2, tzinfo=UTC)):  # 18:00 on Nov 30 in Los Angeles
        result = generate_invoices(*NOV, None, None)
    assert [i.partner_id for i in result.invoices] == [londoner.id] and result.not_over == [angeleno.id]
    assert _invoices(db, angeleno) == []
    make.conversion(angeleno, offer, at=datetime(2026, 12, 1, 6, tzinfo=UTC), payout_cents=50)  # 22:00 Nov 30 LA
    with invoicing_at(datetime(2026, 12, 1, 9, tzinfo=UTC)):
        [invoice] = generate_invoices(*NOV, None, None).invoices
    assert (invoice.partner_id, invoice.total_cents) == (angeleno.id, 1050)


def test_a_clicks_earnings_stay_in_the_currency_it_earned_them_in(app, db, make):
    """Staff switch a CPC offer from USD to EUR: clicks taken before are still invoiced (and balanced) in USD."""
    partner = make.partner(currency="USD")
    cpc = make.offer(payout_type="cpc", payout_amount=100)
    for day in (2, 3):
        make.click(partner, cpc, at=_in_nov(day))
    cpc.currency = "EUR"
    db.session.commit()
    make.click(partner, cpc, at=_in_nov(20))
    totals = {i.currency: i.total_cents for i in generate_invoices(*NOV, None, None).invoices}
    assert totals == {"USD": 200, "EUR": 100}
