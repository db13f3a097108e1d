"""Adjustments to what a partner is paid: staff bonuses and deductions, and the reversals that keep an
invoiced conversion's payment in line with its status. All wait (pending) for the partner's next invoice.

A sent invoice is never rewritten: rejecting a conversion it carries adds a negative reversal to the next
invoice; approving it again (or voiding the invoice) takes back what is still owed the other way.
"""

from __future__ import annotations

from sqlalchemy import select

from portal.domain.billing import is_currency_code
from portal.extensions import db
from portal.models import BillingAdjustment, Conversion, Partner, StaffUser
from portal.services import audit

STAFF_KINDS = ("bonus", "deduction")
MAX_ADJUSTMENT_CENTS = 10**12  # ten billion in major units: anything larger is a typing mistake
MAX_REASON = 300


class AdjustmentError(ValueError):
    """An adjustment that cannot be recorded; the message says why, for people."""


def add_adjustment(partner_id: int, kind: str, amount_cents: int, reason: str, actor, ip: str | None = None,
                   currency: str | None = None) -> BillingAdjustment:
    """A staff bonus (positive) or deduction (negative) of `amount_cents` (> 0) in `currency` (the partner's
    when not given), for the partner's next invoice in that currency."""
    reason = (reason or "").strip()
    if currency is not None and not is_currency_code(currency):
        raise AdjustmentError("currency: a three-letter ISO 4217 code such as USD")
    if kind not in STAFF_KINDS:
        raise AdjustmentError(f"kind: must be one of {', '.join(STAFF_KINDS)}")
    if not 0 < amount_cents <= MAX_ADJUSTMENT_CENTS:
        raise AdjustmentError("amount: must be more than zero and at most 10,000,000,000")
    if not reason or len(reason) > MAX_REASON:
        raise AdjustmentError(f"reason: required, at most {MAX_REASON} characters")
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        raise LookupError(partner_id)
    currency = currency or partner.currency or "USD"
    adjustment = BillingAdjustment(partner_id=partner_id, kind=kind, reason=reason, currency=currency,
                                   amount_cents=amount_cents if kind == "bonus" else -amount_cents,
                                   created_by_id=actor.id if isinstance(actor, StaffUser) else None)
    db.session.add(adjustment)
    db.session.flush()
    audit.record("billing.adjustment_added", actor=actor, target=adjustment, ip=ip,
                 detail={"partner_id": partner_id, "kind": kind, "amount_cents": adjustment.amount_cents,
                         "currency": currency, "reason": reason})
    db.session.commit()
    return adjustment


def settle_conversion(conversion: Conversion, reason: str, actor=None, ip: str | None = None) -> int:
    """Within the caller's transaction (the caller holds the conversion's row lock and commits): make the
    conversion's reversals add up to what it should have been paid beyond its invoice, and return the change.

    An invoiced conversion that is not approved any more is owed minus its payout; any other owes nothing.
    Pending reversals are replaced rather than stacked, so a reject-approve-reject on the same day leaves
    one line on the next invoice, not three."""
    target = -conversion.payout_cents if conversion.invoice_id is not None and conversion.status != "approved" else 0
    reversals = db.session.scalars(select(BillingAdjustment).where(
        BillingAdjustment.conversion_id == conversion.id, BillingAdjustment.kind == "reversal")).all()
    current = sum(row.amount_cents for row in reversals)
    if current == target:
        return 0
    withdrawn = [row for row in reversals if row.invoice_id is None]
    for row in withdrawn:
        db.session.delete(row)
    invoiced = current - sum(row.amount_cents for row in withdrawn)
    added = None
    if invoiced != target:
        added = BillingAdjustment(partner_id=conversion.partner_id, kind="reversal", conversion_id=conversion.id,
                                  currency=conversion.currency, amount_cents=target - invoiced, reason=reason[:MAX_REASON],
                                  created_by_id=actor.id if isinstance(actor, StaffUser) else None)
        db.session.add(added)
        db.session.flush()
    audit.record("billing.conversion_settled", actor=actor, target=conversion, ip=ip,
                 detail={"partner_id": conversion.partner_id, "conversion_id": conversion.conversion_id,
                         "status": conversion.status, "reason": reason,
                         "withdrawn_pending_cents": [row.amount_cents for row in withdrawn],
                         "added_cents": added.amount_cents if added is not None else 0})
    return target - current
