"""The façade's billing: balances that add up to the report's earnings, and only the partner's invoices."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.affiliate.scope import AffiliateScope
from portal.affiliate.upstream.backend import UpstreamBackend
from portal.domain.billing import InvoiceFilters
from portal.domain.criteria import Page
from portal.domain.errors import NotServedUpstream
from portal.services.billing_adjustments import add_adjustment
from portal.services.conversion_status import change_status
from portal.services.payments import record_payment
from tests.invoicing import generate_invoices_after


def test_balances_add_up_to_the_reports_earnings_through_invoicing_payment_and_rejection(app, db, make):
    partner, offer = make.partner(currency="EUR"), make.offer(currency="EUR")
    now = datetime.now(UTC)
    yesterday = now - timedelta(days=1)
    invoiced = [make.conversion(partner, offer, at=yesterday, payout_cents=cents) for cents in (1000, 2000, 3333)]
    make.conversion(partner, offer, at=yesterday, payout_cents=999, status="pending")
    make.conversion(partner, offer, at=yesterday, payout_cents=50, status="rejected")
    make.conversion(partner, offer, at=yesterday, payout_cents=70, is_test=True)
    other = make.partner()
    make.conversion(other, offer, at=yesterday, payout_cents=123_456)
    scope = AffiliateScope(partner)

    def report_earnings() -> int:
        summary = scope.dashboard(now=now)
        return summary.this_month.earnings_cents + (summary.yesterday.earnings_cents
                                                    if yesterday.month != now.month else 0)

    [before] = scope.billing_balances()
    assert (before.currency, before.pending_cents, before.approved_cents, before.invoiced_cents,
            before.paid_cents) == ("EUR", 999, 6333, 0, 0)

    [invoice] = generate_invoices_after(yesterday.date() - timedelta(days=1), now.date(), [partner.id], None).invoices
    record_payment(invoice.id, date.today(), 2500, "paypal", "", None)
    change_status(invoiced[0], "rejected", None)
    make.conversion(partner, offer, at=now, payout_cents=400)

    [after] = scope.billing_balances()
    assert (after.pending_cents, after.approved_cents, after.invoiced_cents, after.paid_cents) == (
        999, 400 - 1000, 6333 - 2500, 2500)
    total = after.pending_cents + after.approved_cents + after.invoiced_cents + after.paid_cents
    assert total == report_earnings() == 999 + 2000 + 3333 + 400

    add_adjustment(partner.id, "bonus", 600, "Top partner", None)
    assert scope.billing_balances()[0].approved_cents == 400 - 1000 + 600


def test_a_partner_sees_only_its_own_invoices(app, db, make):
    offer = make.offer()
    mine, theirs = make.partner(), make.partner()
    make.conversion(mine, offer, payout_cents=500)
    make.conversion(theirs, offer, payout_cents=700)
    today = datetime.now(UTC).date()
    invoices = generate_invoices_after(today - timedelta(days=1), today + timedelta(days=1), None, None).invoices
    own = next(i for i in invoices if i.partner_id == mine.id)
    foreign = next(i for i in invoices if i.partner_id == theirs.id)
    scope = AffiliateScope(mine)

    listed = scope.invoices(InvoiceFilters(), Page())
    assert [i.id for i in listed.items] == [own.id] and listed.total_count == 1
    assert scope.invoice(own.id).invoice.total_cents == 500
    assert [line.amount_cents for line in scope.invoice(own.id).lines] == [500]
    assert scope.invoice(foreign.id) is None
    assert scope.invoice(2**63) is None and scope.invoice(-1) is None
    assert scope.invoices(InvoiceFilters(status="paid"), Page()).items == []
    assert scope.invoices(InvoiceFilters(start=today + timedelta(days=2)), Page()).items == []


def test_the_upstream_backend_says_it_serves_no_billing():
    class Partner:
        id, timezone, currency = 7, "UTC", "USD"

    scope = AffiliateScope(Partner(), UpstreamBackend(None, 1))
    for call in (scope.billing_balances, lambda: scope.invoices(InvoiceFilters(), Page()), lambda: scope.invoice(1)):
        with pytest.raises(NotServedUpstream):
            call()


def test_paid_clicks_count_in_the_balances_as_reports_count_them(app, db, make):
    partner = make.partner(currency="USD")
    cpc = make.offer(payout_type="cpc", payout_amount=40)
    now = datetime.now(UTC)
    for _ in range(5):
        make.click(partner, cpc, at=now)
    make.click(partner, cpc, at=now, is_unique=False)
    make.conversion(partner, cpc, at=now, payout_cents=300)
    scope = AffiliateScope(partner)
    [balances] = scope.billing_balances()
    assert balances.approved_cents == 5 * 40 + 300
    assert balances.approved_cents == scope.dashboard(now=now).today.earnings_cents
    generate_invoices_after(now.date() - timedelta(days=1), now.date(), [partner.id], None)
    [after] = scope.billing_balances()
    assert (after.approved_cents, after.invoiced_cents) == (0, 5 * 40 + 300)
