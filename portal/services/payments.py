"""Payments against an invoice: staff record what was paid; partial payments add up to a paid invoice."""

from __future__ import annotations

from datetime import date

from portal.extensions import db
from portal.models import PAYMENT_METHODS, Payment, StaffUser
from portal.services import audit
from portal.services.invoices import BillingError, locked_invoice

MAX_REFERENCE = 200


def record_payment(invoice_id: int, paid_on: date, amount_cents: int, method: str, reference: str, actor,
                   ip: str | None = None) -> Payment:
    """Record a payment of at most the invoice's balance; the invoice is paid when its balance reaches zero.

    The invoice row is locked while its balance is read, so two clerks recording at once cannot both pay
    the last part of it."""
    reference = (reference or "").strip()
    if method not in PAYMENT_METHODS:
        raise BillingError(f"method: must be one of {', '.join(PAYMENT_METHODS)}")
    if len(reference) > MAX_REFERENCE:
        raise BillingError(f"reference: at most {MAX_REFERENCE} characters")
    session = db.session
    invoice = locked_invoice(session, invoice_id)
    problem = None
    if invoice.status != "unpaid":
        problem = f"{invoice.number} is {invoice.status}; payments are recorded on unpaid invoices"
    elif not 0 < amount_cents <= invoice.balance_cents:
        problem = f"amount: must be more than zero and at most the balance ({invoice.balance_cents} minor units)"
    if problem:
        session.rollback()
        raise BillingError(problem)
    payment = Payment(invoice_id=invoice.id, paid_on=paid_on, amount_cents=amount_cents, method=method,
                      reference=reference, recorded_by_id=actor.id if isinstance(actor, StaffUser) else None)
    session.add(payment)
    invoice.paid_cents += amount_cents
    if invoice.paid_cents >= invoice.total_cents:
        invoice.status = "paid"
    session.flush()
    audit.record("invoice.payment_recorded", actor=actor, target=invoice, ip=ip,
                 detail={"partner_id": invoice.partner_id, "number": invoice.number, "payment_id": payment.id,
                         "amount_cents": amount_cents, "method": method, "reference": reference,
                         "paid_on": paid_on.isoformat(), "status": invoice.status})
    session.commit()
    return payment
