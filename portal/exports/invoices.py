"""An invoice as CSV: one row per line, then its payments, then the total, paid and balance, amounts in minor
units of the invoice's currency (as every amount this portal stores; no binary floats). Pure."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from portal.domain.billing import InvoiceDetail
from portal.exports.tabular import csv_chunks, excel_friendly

COLUMNS = {"invoice": "string", "row": "string", "description": "string", "offer_id": "Int64",
           "conversions": "Int64", "clicks": "Int64", "date": "string", "reference": "string", "amount_cents": "Int64", "currency": "string"}


def invoice_frame(detail: InvoiceDetail) -> pd.DataFrame:
    invoice = detail.invoice
    rows = []
    for line in detail.lines:
        rows.append({"row": line.kind, "description": line.description, "offer_id": line.offer_id,
                     "conversions": line.conversions if line.kind == "offer" else None,
                     "clicks": line.clicks if line.kind == "offer" else None, "date": None,
                     "reference": None, "amount_cents": line.amount_cents})
    for payment in detail.payments:
        rows.append({"row": "payment", "description": payment.method, "offer_id": None, "conversions": None,
                     "clicks": None,
                     "date": payment.paid_on.isoformat(), "reference": payment.reference,
                     "amount_cents": payment.amount_cents})
    for name, cents in (("total", invoice.total_cents), ("paid", invoice.paid_cents),
                        ("balance", invoice.balance_cents)):
        rows.append({"row": name, "description": None, "offer_id": None, "conversions": None, "clicks": None,
                     "date": invoice.due_on.isoformat() if name == "balance" else None, "reference": None,
                     "amount_cents": cents})
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("invoice", "currency")])
    frame.insert(0, "invoice", invoice.number)
    frame["currency"] = invoice.currency
    return frame.astype(COLUMNS)


def invoice_csv(detail: InvoiceDetail) -> Iterator[bytes]:
    return excel_friendly(csv_chunks([invoice_frame(detail)]))
