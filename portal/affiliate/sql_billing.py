"""The built-in backend's billing: this application's invoices, lines, payments and balances."""

from __future__ import annotations

from datetime import datetime

from portal.domain.billing import (LISTED_STATUSES, BillingBalances, InvoiceDetail, InvoiceLineView, InvoiceView,
                                   ListedInvoiceFilters, PaymentView)
from portal.domain.criteria import Page, Paged
from portal.queries import billing as billing_queries


def invoice_view(row, last_payment_at: datetime | None = None) -> InvoiceView:
    changes = [at for at in (row.created_at, row.voided_at, last_payment_at) if at is not None]
    return InvoiceView(id=row.id, number=row.number, period_start=row.period_start, period_end=row.period_end,
                       status=row.status, currency=row.currency, total_cents=row.total_cents,
                       paid_cents=row.paid_cents, balance_cents=row.balance_cents, due_on=row.due_on,
                       created_at=row.created_at, terms_days=row.terms_days, saved_at=max(changes))


class SqlBillingMixin:
    def billing_balances(self, partner_id: int, currency: str) -> BillingBalances:
        pending, approved, invoiced, paid = billing_queries.balances(partner_id)
        return BillingBalances(currency=currency, pending_cents=pending, approved_cents=approved,
                               invoiced_cents=invoiced, paid_cents=paid)

    def invoices(self, partner_id: int, status: str | None, start: datetime | None, end: datetime | None,
                 page: Page) -> Paged:
        total, rows = billing_queries.invoices(partner_id, status, start, end, page.offset, page.page_size)
        return Paged(items=[invoice_view(row) for row in rows], page=page, total_count=total)

    def listed_invoices(self, partner_id: int, filters: ListedInvoiceFilters, page: Page) -> Paged:
        total, rows = billing_queries.listed_invoices(partner_id, LISTED_STATUSES, filters.status,
                                                      filters.period_from, filters.period_to, page.offset,
                                                      page.page_size)
        return Paged(items=[invoice_view(row, paid_at) for row, paid_at in rows], page=page, total_count=total)

    def invoice(self, partner_id: int, invoice_id: int) -> InvoiceDetail | None:
        row = billing_queries.invoice(partner_id, invoice_id)
        if row is None:
            return None
        lines = tuple(InvoiceLineView(kind=line.kind, offer_id=line.offer_id, description=line.description,
                                      amount_cents=line.amount_cents, conversions=line.conversions, id=line.id)
                      for line in billing_queries.lines(partner_id, invoice_id))
        found = billing_queries.payments(partner_id, invoice_id)
        payments = tuple(PaymentView(id=p.id, paid_on=p.paid_on, amount_cents=p.amount_cents, method=p.method,
                                     reference=p.reference)
                         for p in found)
        last_payment_at = max((p.created_at for p in found), default=None)
        return InvoiceDetail(invoice=invoice_view(row, last_payment_at), lines=lines, payments=payments)
