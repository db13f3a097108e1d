"""The invoice endpoints' part of the OpenAPI document: the objects inferred from the real serialisers
(portal.api.affiliate.billing) over sample records, the request body and the path variable."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from portal.affiliate.billing import MAX_INVOICE_ID
from portal.api.affiliate import billing
from portal.api.affiliate.openapi_schemas import infer, merge
from portal.domain.billing import (LISTED_STATUSES, BillingBalances, InvoiceDetail, InvoiceLineView, InvoiceView,
                                   PaymentView)

_AT = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
TAG = ("Invoices, read-only (Everflow's names): what the network owes you per billed period, its line items "
       "and payments. Amounts are decimals in the invoice's currency.")
_DAY = "^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))?$"


def _invoice(saved: bool) -> InvoiceView:
    return InvoiceView(id=42, number="INV-000042", period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
                       status="unpaid", currency="USD", total_cents=123456, paid_cents=23456, balance_cents=100000,
                       due_on=date(2026, 12, 1), created_at=_AT, terms_days=30, saved_at=_AT if saved else None)


def _detail(filled: bool) -> InvoiceDetail:
    lines = (InvoiceLineView("offer", 3, "Acme Shoes", 120000, 48, 1),
             InvoiceLineView("adjustment", None, "Bonus: October", 3456, 0, 2)) if filled else ()
    payments = (PaymentView(5, date(2026, 11, 20), 23456, "bank_transfer", "TX-1"),) if filled else ()
    return InvoiceDetail(invoice=_invoice(filled), lines=lines, payments=payments)


def _status(schema: dict[str, Any]) -> dict[str, Any]:
    schema["properties"]["affiliate_invoice_status"]["enum"] = list(LISTED_STATUSES)
    return schema


def response_schemas() -> dict[str, dict[str, Any]]:
    return {
        "Invoice": _status(merge(infer(billing.invoice(_invoice(True), 1, 67)),
                                 infer(billing.invoice(_invoice(False), 1, None)))),
        "InvoiceDetail": _no_extra_periods(_status(merge(infer(billing.invoice_detail(_detail(True), 1, 67)),
                                                         infer(billing.invoice_detail(_detail(False), 1, None))))),
        "BillingSummary": {"type": "object", "required": ["summary"], "additionalProperties": False,
                           "properties": {"summary": {"type": "array", "minItems": 1, "items": infer(
                               billing.balance(BillingBalances("USD", 555, 0, 2345, 1000)))}}},
    }


def _no_extra_periods(schema: dict[str, Any]) -> dict[str, Any]:
    schema["properties"]["relationship"]["properties"]["extra_periods"] = {
        "type": "array", "maxItems": 0, "description": "Always empty: an invoice here bills one period"}
    return schema


def request_schemas() -> dict[str, dict[str, Any]]:
    day = {"type": ["string", "null"], "pattern": _DAY}
    return {"BillingSummaryRequest": {"type": "object", "description": "Accepted and ignored (nothing filters "
                                      "the balances)"},
            "InvoicesRequest": {"type": "object", "properties": {"filters": {
        "type": ["object", "null"], "additionalProperties": False, "properties": {
            "affiliate_invoice_status": {"type": ["string", "null"], "enum": ["", *LISTED_STATUSES, None],
                                         "description": "Only paid (or unpaid) invoices"},
            "min_start_time": {**day, "description": "Billed periods that start on or after this day (YYYY-MM-DD)"},
            "max_end_time": {**day, "description": "Billed periods that end on or before this day (YYYY-MM-DD)"},
        }}}}}


def parameters() -> dict[str, dict]:
    return {"invoice_id": {"name": "invoice_id", "in": "path", "required": True,
                           "schema": {"type": "integer", "minimum": 0, "maximum": MAX_INVOICE_ID},
                           "description": "The invoice's network_affiliate_invoice_id (Everflow's invoiceId)"}}
