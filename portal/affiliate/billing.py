"""The billing half of the façade: balances, invoices and one invoice, for the scope's partner only."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal.affiliate.backend import AffiliateBackend
from portal.domain.billing import (INVOICE_STATUSES, LISTED_STATUSES, BillingBalances, InvoiceDetail, InvoiceFilters,
                                   ListedInvoiceFilters)
from portal.domain.criteria import Page, Paged
from portal.domain.errors import BadRequest

MAX_INVOICE_ID = 2**31 - 1  # beyond the column: no such invoice, answered without asking the database


class BillingMixin:
    """Mixed into AffiliateScope; relies on its partner id, timezone, currency and backend."""

    partner_id: int
    _backend: AffiliateBackend

    def billing_balances(self) -> tuple[BillingBalances, ...]:
        """Pending, approved (not invoiced), invoiced (unpaid) and paid: one set per currency, the partner's
        own first, then any other currency an offer paid it in (amounts in two currencies are never added)."""
        return self._backend.billing_balances(self.partner_id, self.currency)

    def invoices(self, filters: InvoiceFilters, page: Page) -> Paged:
        """The partner's invoices, newest first; the dates are issue days in the partner's timezone."""
        if filters.status is not None and filters.status not in INVOICE_STATUSES:
            raise BadRequest("status", f"must be one of {', '.join(INVOICE_STATUSES)}")
        if filters.start and filters.end and filters.end < filters.start:
            raise BadRequest("end_date", "must not be before start_date")
        tz = ZoneInfo(self.timezone)

        def midnight(day, field):
            """The day's start in the partner's timezone, as UTC; a day at the calendar's edge is a 400."""
            if day is None:
                return None
            try:
                return datetime.combine(day, time.min, tz).astimezone(UTC)
            except OverflowError:
                raise BadRequest(field, "is out of the supported date range") from None

        try:
            end = filters.end + timedelta(days=1) if filters.end is not None else None
        except OverflowError:
            raise BadRequest("end_date", "is out of the supported date range") from None
        return self._backend.invoices(self.partner_id, filters.status, midnight(filters.start, "start_date"),
                                      midnight(end, "end_date"), page)

    def listed_invoices(self, filters: ListedInvoiceFilters, page: Page) -> Paged:
        """The Affiliate API's list (Everflow's): paid and unpaid invoices, never void ones, by billed period."""
        if filters.status is not None and filters.status not in LISTED_STATUSES:
            raise BadRequest("affiliate_invoice_status", f"must be one of {', '.join(LISTED_STATUSES)}")
        if filters.period_from and filters.period_to and filters.period_to < filters.period_from:
            raise BadRequest("max_end_time", "must not be before min_start_time")
        return self._backend.listed_invoices(self.partner_id, filters, page)

    def invoice(self, invoice_id: int, *, listed_only: bool = False) -> InvoiceDetail | None:
        """One of the partner's own invoices with its lines and payments; None for anyone else's, and with
        `listed_only` (the Affiliate API, as Everflow) None for a void one too."""
        if not 0 < invoice_id <= MAX_INVOICE_ID:
            return None
        found = self._backend.invoice(self.partner_id, invoice_id)
        if found is not None and listed_only and found.invoice.status not in LISTED_STATUSES:
            return None
        return found
