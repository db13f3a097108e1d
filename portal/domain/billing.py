"""What a partner sees of its billing: its balances, its invoices with their lines and payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

INVOICE_STATUSES = ("unpaid", "paid", "void")


def is_currency_code(value: object) -> bool:
    """Three ASCII capital letters, as ISO 4217 writes a currency (USD, EUR)."""
    return isinstance(value, str) and len(value) == 3 and value.isascii() and value.isalpha() and value.isupper()


@dataclass(frozen=True, slots=True)
class BillingBalances:
    """Where the partner's earnings in one currency stand, in minor units of that currency.

    pending: conversions not yet approved (status pending; held ones are not counted, as in reports);
    approved: approved conversions and paid (CPC) clicks not yet invoiced plus the adjustments waiting for the
    next invoice;
    invoiced: what unpaid invoices still owe; paid: what has been paid. Together they are the partner's
    conversion earnings as reports count them, plus its bonuses and deductions."""

    currency: str
    pending_cents: int
    approved_cents: int
    invoiced_cents: int
    paid_cents: int


def balances_by_currency(sums: dict[str, tuple[int, int, int, int]], own: str) -> tuple[BillingBalances, ...]:
    """(pending, approved, invoiced, paid) per currency → one BillingBalances per currency: the partner's own
    first (shown even when all zero), then any other it has a non-zero balance in, by code."""
    others = sorted(code for code, values in sums.items() if code != own and any(values))
    return tuple(BillingBalances(code, *sums.get(code, (0, 0, 0, 0))) for code in [own, *others])


@dataclass(frozen=True)
class InvoiceFilters:
    status: str | None = None  # one of INVOICE_STATUSES
    start: date | None = None  # issued on or after (partner's days)
    end: date | None = None  # issued on or before


@dataclass(frozen=True)
class ListedInvoiceFilters:
    """The Affiliate API's invoice filters (Everflow's): a status of LISTED_STATUSES, and billed periods that
    start on or after `period_from` and end on or before `period_to` (days, both inclusive)."""

    status: str | None = None
    period_from: date | None = None
    period_to: date | None = None


# Everflow shows a partner its paid and unpaid invoices only: a void invoice is not listed, nor found by id.
LISTED_STATUSES = ("paid", "unpaid")


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
    terms_days: int = 30
    saved_at: datetime | None = None  # the last change: issue, last payment recorded, or void


@dataclass(frozen=True, slots=True)
class InvoiceLineView:
    kind: str  # offer | adjustment
    offer_id: int | None
    description: str
    amount_cents: int
    conversions: int
    id: int = 0
    clicks: int = 0  # paid (CPC) clicks, on an offer line


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
