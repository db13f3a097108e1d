"""The invoice each reward was billed on: the one that carries the reward's conversion (the Network API's
rewards show it, as PartnerStack's do). A void invoice has released its conversions, so it carries none."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Conversion, Invoice, Payment


@dataclass(frozen=True)
class RewardInvoice:
    number: str  # INV-000042, the invoice's key for partners and the network alike
    status: str  # unpaid or paid (never void: see the module's docstring)
    paid_on: date | None  # the day of its last payment, once it is paid


def invoices_of_conversions(conversion_ids: Iterable[int]) -> dict[int, RewardInvoice]:
    """The invoice carrying each of these conversions, by conversion id; uninvoiced ones are absent."""
    wanted = sorted(set(conversion_ids))
    if not wanted:
        return {}
    last_paid = (select(Payment.invoice_id, func.max(Payment.paid_on).label("paid_on"))
                 .group_by(Payment.invoice_id).subquery())
    rows = db.session.execute(
        select(Conversion.id, Invoice.number, Invoice.status, last_paid.c.paid_on)
        .join(Invoice, Invoice.id == Conversion.invoice_id)
        .outerjoin(last_paid, last_paid.c.invoice_id == Invoice.id)
        .where(Conversion.id.in_(wanted), Invoice.status != "void"))
    return {conversion_id: RewardInvoice(number, status, paid_on if status == "paid" else None)
            for conversion_id, number, status, paid_on in rows}
