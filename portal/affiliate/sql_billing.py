"""The built-in backend's billing: this application's invoices, lines, payments and balances."""

from __future__ import annotations

from datetime import datetime

from portal.domain.billing import (LISTED_STATUSES, BillingBalances, InvoiceDetail, ListedInvoiceFilters,
                                   balances_by_currency)
from portal.domain.criteria import Page, Paged
from portal.queries import billing as billing_queries


class SqlBillingMixin:
    def billing_balances(self, partner_id: int, currency: str) -> tuple[BillingBalances, ...]:
        return balances_by_currency(billing_queries.balances(partner_id), currency)

    def invoices(self, partner_id: int, status: str | None, start: datetime | None, end: datetime | None,
                 page: Page) -> Paged:
        total, rows = billing_queries.invoices(partner_id, status, start, end, page.offset, page.page_size)
        return Paged(items=[billing_queries.invoice_view(row) for row in rows], page=page, total_count=total)

    def listed_invoices(self, partner_id: int, filters: ListedInvoiceFilters, page: Page) -> Paged:
        total, rows = billing_queries.listed_invoices(partner_id, LISTED_STATUSES, filters.status,
                                                      filters.period_from, filters.period_to, page.offset,
                                                      page.page_size)
        return Paged(items=[billing_queries.invoice_view(row, paid_at) for row, paid_at in rows], page=page,
                     total_count=total)

    def invoice(self, partner_id: int, invoice_id: int) -> InvoiceDetail | None:
        return billing_queries.invoice_detail(partner_id, invoice_id)
