"""Billing: invoices with their lines and payments, and adjustments waiting for (or carried on) an invoice.

A conversion is invoiced at most once: conversions.invoice_id holds the one invoice that carries it, and
the invoice run claims conversions only where that column is still empty (services.invoices).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import BigId, UTCDateTime, utcnow

INVOICE_STATUSES = ("unpaid", "paid", "void")
LINE_KINDS = ("offer", "adjustment")
# bonus and deduction are staff's; reversal is written when an invoiced conversion stops (or starts again)
# being approved, so a sent invoice is never rewritten.
ADJUSTMENT_KINDS = ("bonus", "deduction", "reversal")
PAYMENT_METHODS = ("bank_transfer", "paypal", "wire", "check", "other")


class Invoice(db.Model):
    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint("status IN ('unpaid', 'paid', 'void')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # INV-000042, shown to partners
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    # The billed period as days in the partner's timezone, both inclusive.
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="unpaid")
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # the sum of its payments
    terms_days: Mapped[int] = mapped_column(Integer, default=30)  # net days, from the network's settings
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))  # None: the scheduler
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    @property
    def balance_cents(self) -> int:
        return 0 if self.status == "void" else self.total_cents - self.paid_cents


class InvoiceLine(db.Model):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # LINE_KINDS
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))  # offer lines
    adjustment_id: Mapped[int | None] = mapped_column(ForeignKey("billing_adjustments.id"))  # adjustment lines
    description: Mapped[str] = mapped_column(String(300), default="")
    amount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    conversions: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # paid (CPC) clicks, offer lines


class BillingAdjustment(db.Model):
    __tablename__ = "billing_adjustments"
    __table_args__ = (
        CheckConstraint("kind IN ('bonus', 'deduction', 'reversal')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # signed: a deduction is negative
    # A reversal's is its conversion's; a bonus or deduction's is the one staff chose (the partner's by default).
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(300))
    conversion_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("conversions.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)  # None: pending
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class Payment(db.Model):
    __tablename__ = "invoice_payments"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(20))  # PAYMENT_METHODS
    reference: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
