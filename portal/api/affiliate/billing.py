"""Invoice endpoints in Everflow's paths and names: your invoices, paged and filtered by status and billed
period (invoicestable), one invoice with its line items (relationship.details) and payments
(relationship.payments), and your balances (summary). Another partner's invoice, and a void one, is a 404.

Everflow's affiliate invoice statuses are paid and unpaid only: a void invoice is neither listed nor found,
as Everflow keeps a deleted invoice from the partner. Amounts are decimals in the invoice's currency.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from flask import jsonify, request

from portal.affiliate import parsing
from portal.api.affiliate.envelope import json_body, paging
from portal.api.affiliate.errors import ApiError
from portal.api.affiliate.operations import PAGING, Routes, paged
from portal.api.affiliate.views import principal
from portal.domain import timezones
from portal.domain.billing import LISTED_STATUSES, BillingBalances, InvoiceDetail, InvoiceView, ListedInvoiceFilters
from portal.domain.errors import BadRequest

routes = Routes("Billing")
FILTERS = ("affiliate_invoice_status", "min_start_time", "max_end_time")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

LIST_DESCRIPTION = (
    "Everflow's Find Invoices: your paid and unpaid invoices, newest first. Paged with ?page= and "
    "?page_size= (query-string arguments, as Everflow's). Optional body {\"filters\": {...}}: "
    "affiliate_invoice_status (paid or unpaid), min_start_time (billed periods that start on or after this "
    "day, YYYY-MM-DD), max_end_time (periods that end on or before it). Everflow also filters by a balance "
    "range, but the field names it documents for that were not found, so no balance filter is served: an "
    "unknown filter is a 400. The list key `invoices` is the one Everflow's network invoice list uses; its "
    "affiliate page shows no response example. Void invoices are never listed (Everflow's affiliate statuses "
    "are paid and unpaid).")
DETAIL_DESCRIPTION = (
    "Everflow's Get Invoice: one of your invoices with relationship.details (line items: an offer's approved "
    "conversions and paid CPC clicks, type `offer`, quantity counting both, or a bonus, deduction or reversal, "
    "type `adjustment`; Everflow documents no values for `type` beyond examples, these are this portal's "
    "kinds) and relationship.payments. billed and paid, which Everflow returns on the list only, are here too. "
    "Payments carry no `status` (Everflow documents none of its values; a payment recorded here has been "
    "made). relationship.extra_periods is always empty: an invoice here bills one period. ?relationship=all "
    "(what clients send) changes nothing: details and payments are always there. Another partner's invoice, "
    "or a void one, is a 404.")
SUMMARY_DESCRIPTION = (
    "Your balances, as the Billing page shows them: one entry per currency (your own first, then any other "
    "currency an offer paid you in; amounts in two currencies are never added): pending (conversions awaiting "
    "approval), approved (approved and not yet invoiced, with the bonuses and deductions waiting for your next "
    "invoice), invoiced (what your unpaid invoices still owe) and paid; total is their sum. The path is the one "
    "Everflow clients call (laravel-everflow's billing summary); Everflow documents no response for it, so the "
    "shape is this portal's, in Everflow's naming (currency_id, decimals). The body and ?page= arguments "
    "those clients send are accepted and change nothing.")


def _money(cents: int) -> float:
    return round(cents / 100, 2)


def _unix(at: datetime | None) -> int:
    return int(at.timestamp()) if at is not None else 0


def invoice(view: InvoiceView, network_id: int, timezone_id: int | None) -> dict[str, Any]:
    """The invoice object, as Everflow's list returns it; the period is whole days in your timezone."""
    return {
        "network_affiliate_invoice_id": view.id, "network_id": network_id,
        "affiliate_invoice_status": view.status,
        "start_time": f"{view.period_start.isoformat()} 00:00:00",
        "end_time": f"{view.period_end.isoformat()} 23:59:59", "timezone_id": timezone_id,
        "billed": _money(view.total_cents), "paid": _money(view.paid_cents), "balance": _money(view.balance_cents),
        "payment_terms": f"Net {view.terms_days}", "currency_id": view.currency,
        "time_created": _unix(view.created_at), "time_saved": _unix(view.saved_at or view.created_at),
    }


def invoice_detail(found: InvoiceDetail, network_id: int, timezone_id: int | None) -> dict[str, Any]:
    view = found.invoice
    details = [{
        "network_affiliate_invoice_detail_id": line.id, "network_affiliate_invoice_id": view.id,
        "network_offer_id": line.offer_id or 0,
        "network_offer_name": line.description if line.kind == "offer" else "",
        "amount": _money(line.amount_cents), "invoice_currency_amount": _money(line.amount_cents),
        "currency_id": view.currency, "notes": line.description if line.kind != "offer" else "",
        "quantity": line.conversions + line.clicks, "type": line.kind,
        "time_created": _unix(view.created_at), "time_saved": _unix(view.created_at),
    } for line in found.lines]
    payments = [{
        "network_affiliate_payment_id": payment.id, "network_affiliate_invoice_id": view.id,
        "payment_type": payment.method, "confirmation_code": payment.reference,
        "amount": _money(payment.amount_cents), "currency": view.currency,
        "unix_timestamp": _unix(datetime.combine(payment.paid_on, time.min, UTC)),
    } for payment in found.payments]
    # extra_periods: Everflow's by-id answer carries the periods an invoice took over from others; an invoice
    # here bills one period, so the list is always empty (present, as scripts read it).
    return {**invoice(view, network_id, timezone_id),
            "relationship": {"details": details, "payments": payments, "extra_periods": []}}


def _day(filters: Mapping, name: str) -> date | None:
    value = filters.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise ApiError(400, f"{name}: a day as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name}: not a day of the calendar") from None


def list_filters(body: Mapping) -> ListedInvoiceFilters:
    filters = body.get("filters")
    if filters is None:
        return ListedInvoiceFilters()
    if not isinstance(filters, dict):
        raise ApiError(400, "filters: an object")
    unknown = sorted(name for name in filters if name not in FILTERS)
    if unknown:
        raise ApiError(400, f"filters: unknown filter (known: {', '.join(FILTERS)})")
    status = filters.get("affiliate_invoice_status")
    if status is not None and status != "" and status not in LISTED_STATUSES:
        raise ApiError(400, "affiliate_invoice_status: paid or unpaid")
    return ListedInvoiceFilters(status=status or None, period_from=_day(filters, "min_start_time"),
                                period_to=_day(filters, "max_end_time"))


def balance(found: BillingBalances) -> dict[str, Any]:
    """One currency's balances, decimals in that currency."""
    parts = {"pending": found.pending_cents, "approved": found.approved_cents, "invoiced": found.invoiced_cents,
             "paid": found.paid_cents}
    return {"currency_id": found.currency, **{name: _money(cents) for name, cents in parts.items()},
            "total": _money(sum(parts.values()))}


def _context(scope) -> tuple[int, int | None]:
    return scope.network().network_id, timezones.reported_id(scope.timezone)


@routes.post("/affiliates/billings/affiliates/invoicestable", "Your invoices", ok=paged("invoices", "Invoice"),
             params=PAGING, body="InvoicesRequest", body_required=False, description=LIST_DESCRIPTION)
def invoices_table():
    scope = principal().scope
    page = parsing.page_of(request.args)
    body = json_body() if request.content_length or request.is_json else {}
    try:
        found = scope.listed_invoices(list_filters(body), page)
    except BadRequest as err:
        raise ApiError(400, err.message) from None
    network_id, timezone_id = _context(scope)
    return jsonify(invoices=[invoice(v, network_id, timezone_id) for v in found.items], paging=paging(found))


@routes.get("/affiliates/billings/affiliates/invoices/<int:invoice_id>", "One invoice, its lines and payments",
            ok="InvoiceDetail", extra=(404,), description=DETAIL_DESCRIPTION)
def invoice_by_id(invoice_id: int):
    scope = principal().scope
    found = scope.invoice(invoice_id, listed_only=True)
    if found is None:
        raise ApiError(404, "Not found")
    network_id, timezone_id = _context(scope)
    return jsonify(invoice_detail(found, network_id, timezone_id))


@routes.post("/affiliates/billings/affiliates/summary", "Your balances, per currency", ok="BillingSummary",
             body="BillingSummaryRequest", body_required=False, description=SUMMARY_DESCRIPTION)
def billing_summary():
    scope = principal().scope
    if request.content_length or request.is_json:
        json_body()  # a body, when sent, is a JSON object (clients send their paging in it); nothing in it filters
    return jsonify(summary=[balance(found) for found in scope.billing_balances()])
