"""What a partner sees of its billing: its balances, its invoices with their lines and payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

INVOICE_STATUSES = ("unpaid", "paid", "void")


@dataclass(frozen=True, slots=True)
class BillingBalances:
    """Where the partner's earnings stand, in minor units of its currency.

    pending: conversions not yet approved (status pending; held ones are not counted, as in reports);
    approved: approved conversions not yet invoiced plus the adjustments waiting for the next invoice;
    invoiced: what unpaid invoices still owe; paid: what has been paid. Together they are the partner's
    conversion earnings as reports count them, plus its bonuses and deductions."""

    currency: str
    pending_cents: int
    approved_cents: int
    invoiced_cents: int
    paid_cents: int


@dataclass(frozen=True)
class InvoiceFilters:
    status: str | None = None  # one of INVOICE_STATUSES
    start: date | None = None  # issued on or after (partner's days)
    end: date | None = None  # issued on or before


@dataclass(frozen=True, slots=True)
class InvoiceView:
    id: int
    number: str
    period_start: date
    period_end: date
    status: str
    currency: str
    total_cents: int
    paid_cents: int
    balance_cents: int
    due_on: date
    created_at: datetime


@dataclass(frozen=True, slots=True)
class InvoiceLineView:
    kind: str  # offer | adjustment
    offer_id: int | None
    description: str
    amount_cents: int
    conversions: int


@dataclass(frozen=True, slots=True)
class PaymentView:
    id: int
    paid_on: date
    amount_cents: int
    method: str
    reference: str


@dataclass(frozen=True)
class InvoiceDetail:
    invoice: InvoiceView
    lines: tuple[InvoiceLineView, ...]
    payments: tuple[PaymentView, ...]
