"""A partner's billing reads: balances from the same conversions reports count, invoices, lines, payments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import case, func, literal_column, select

from portal.domain.billing import InvoiceDetail, InvoiceLineView, InvoiceView, PaymentView
from portal.extensions import db
from portal.models import BillingAdjustment, Click, Conversion, Invoice, InvoiceLine, Offer, Partner, Payment
from portal.queries.settings import network_settings


def balances(partner_id: int) -> dict[str, tuple[int, int, int, int]]:
    """For each currency the partner has earned, invoiced or been adjusted in: (pending, approved not invoiced
    incl. paid clicks and pending adjustments, invoiced unpaid, paid), minor units. Currencies are never added
    together.

    Conversions as reports count them: the partner's own, test traffic excluded, on-hold ones not counted."""
    found: dict[str, list[int]] = {}

    def add(currency: str, index: int, cents) -> None:
        found.setdefault(currency, [0, 0, 0, 0])[index] += int(cents or 0)

    not_invoiced = Conversion.invoice_id.is_(None)
    for currency, pending, approved in db.session.execute(
            select(Conversion.currency,
                   func.sum(case((Conversion.status == "pending", Conversion.payout_cents), else_=0)),
                   func.sum(case(((Conversion.status == "approved") & not_invoiced, Conversion.payout_cents),
                                 else_=0)))
            .where(Conversion.partner_id == partner_id, Conversion.is_test.is_(False),
                   Conversion.status.in_(("pending", "approved")))
            .group_by(Conversion.currency)):
        add(currency, 0, pending)
        add(currency, 1, approved)
    for currency, earned in db.session.execute(  # paid (CPC) clicks: earned when taken, no approval step
            select(Click.currency, func.sum(Click.payout_cents))
            .where(Click.partner_id == partner_id, Click.payout_cents > literal_column("0"),
                   Click.invoice_id.is_(None), Click.is_test.is_(False))  # ix_clicks_uninvoiced_earnings
            .group_by(Click.currency)):
        add(currency, 1, earned)
    for currency, adjusted in db.session.execute(
            select(BillingAdjustment.currency, func.sum(BillingAdjustment.amount_cents))
            .where(BillingAdjustment.partner_id == partner_id, BillingAdjustment.invoice_id.is_(None))
            .group_by(BillingAdjustment.currency)):
        add(currency, 1, adjusted)
    for currency, owed, paid in db.session.execute(
            select(Invoice.currency,
                   func.sum(case((Invoice.status == "unpaid", Invoice.total_cents - Invoice.paid_cents), else_=0)),
                   func.sum(Invoice.paid_cents))
            .where(Invoice.partner_id == partner_id, Invoice.status != "void")
            .group_by(Invoice.currency)):
        add(currency, 2, owed)
        add(currency, 3, paid)
    return {currency: tuple(values) for currency, values in found.items()}


def _filtered(partner_id: int, status: str | None, start: datetime | None, end: datetime | None):
    stmt = select(Invoice).where(Invoice.partner_id == partner_id)
    if status:
        stmt = stmt.where(Invoice.status == status)
    if start is not None:
        stmt = stmt.where(Invoice.created_at >= start)
    if end is not None:
        stmt = stmt.where(Invoice.created_at < end)
    return stmt


def invoices(partner_id: int, status: str | None, start: datetime | None, end: datetime | None, offset: int,
             limit: int) -> tuple[int, list[Invoice]]:
    """The partner's invoices issued in [start, end) (UTC), newest first, and how many matched."""
    stmt = _filtered(partner_id, status, start, end)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.order_by(Invoice.created_at.desc(), Invoice.id.desc())
                              .offset(offset).limit(limit)).all()
    return total, list(rows)


def listed_invoices(partner_id: int, statuses: tuple[str, ...], status: str | None, period_from: date | None,
                    period_to: date | None, offset: int, limit: int) -> tuple[int, list[tuple[Invoice, datetime | None]]]:
    """The partner's invoices of `statuses` (one of them when `status`) billing periods that start on or after
    `period_from` and end on or before `period_to`, newest first, each with when its last payment was recorded;
    and how many matched."""
    stmt = select(Invoice).where(Invoice.partner_id == partner_id, Invoice.status.in_(statuses))
    if status:
        stmt = stmt.where(Invoice.status == status)
    if period_from is not None:
        stmt = stmt.where(Invoice.period_start >= period_from)
    if period_to is not None:
        stmt = stmt.where(Invoice.period_end <= period_to)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    last_payment = (select(func.max(Payment.created_at)).where(Payment.invoice_id == Invoice.id)
                    .correlate(Invoice).scalar_subquery())
    rows = db.session.execute(stmt.add_columns(last_payment)
                              .order_by(Invoice.created_at.desc(), Invoice.id.desc()).offset(offset).limit(limit))
    return total, [(invoice, paid_at) for invoice, paid_at in rows]


def invoice(partner_id: int, invoice_id: int) -> Invoice | None:
    return db.session.scalar(select(Invoice).where(Invoice.partner_id == partner_id, Invoice.id == invoice_id))


def lines(partner_id: int, invoice_id: int) -> list[InvoiceLine]:
    return list(db.session.scalars(
        select(InvoiceLine).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.partner_id == partner_id, InvoiceLine.invoice_id == invoice_id)
        .order_by(InvoiceLine.kind.desc(), InvoiceLine.id)))


def payments(partner_id: int, invoice_id: int) -> list[Payment]:
    return list(db.session.scalars(
        select(Payment).join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Invoice.partner_id == partner_id, Payment.invoice_id == invoice_id)
        .order_by(Payment.paid_on, Payment.id)))


def invoice_view(row: Invoice, last_payment_at: datetime | None = None) -> InvoiceView:
    changes = [at for at in (row.created_at, row.voided_at, last_payment_at) if at is not None]
    return InvoiceView(id=row.id, number=row.number, period_start=row.period_start, period_end=row.period_end,
                       status=row.status, currency=row.currency, total_cents=row.total_cents,
                       paid_cents=row.paid_cents, balance_cents=row.balance_cents, due_on=row.due_on,
                       created_at=row.created_at, terms_days=row.terms_days, saved_at=max(changes))


def invoice_detail(partner_id: int, invoice_id: int) -> InvoiceDetail | None:
    """One of the partner's invoices with its lines and payments, as the partner sees it (and its PDF shows)."""
    row = invoice(partner_id, invoice_id)
    if row is None:
        return None
    found_lines = tuple(InvoiceLineView(kind=line.kind, offer_id=line.offer_id, description=line.description,
                                        amount_cents=line.amount_cents, conversions=line.conversions, id=line.id,
                                        clicks=line.clicks)
                        for line in lines(partner_id, invoice_id))
    found = payments(partner_id, invoice_id)
    views = tuple(PaymentView(id=p.id, paid_on=p.paid_on, amount_cents=p.amount_cents, method=p.method,
                              reference=p.reference) for p in found)
    last_payment_at = max((p.created_at for p in found), default=None)
    return InvoiceDetail(invoice=invoice_view(row, last_payment_at), lines=found_lines, payments=views)


# --- the staff console's reads (any partner) ---------------------------------------------------------------

def staff_invoices(status: str | None, partner_id: int | None, offset: int, limit: int) -> tuple[int, list]:
    """(how many matched, [(invoice, partner name)]), newest first."""
    stmt = select(Invoice, Partner.name).join(Partner, Partner.id == Invoice.partner_id)
    if status:
        stmt = stmt.where(Invoice.status == status)
    if partner_id:
        stmt = stmt.where(Invoice.partner_id == partner_id)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.execute(stmt.order_by(Invoice.created_at.desc(), Invoice.id.desc())
                              .offset(offset).limit(limit)).all()
    return total, [tuple(row) for row in rows]


def staff_invoice(invoice_id: int) -> tuple[Invoice, Partner] | None:
    row = db.session.execute(select(Invoice, Partner).join(Partner, Partner.id == Invoice.partner_id)
                             .where(Invoice.id == invoice_id)).one_or_none()
    return tuple(row) if row else None


def currencies_in_use() -> list[str]:
    """The currencies the network pays in: its own and its offers'."""
    offers = set(db.session.scalars(select(Offer.currency).distinct()))
    return sorted({code for code in offers | {network_settings().currency} if code})


def pending_adjustments(partner_id: int) -> list[BillingAdjustment]:
    return list(db.session.scalars(select(BillingAdjustment).where(
        BillingAdjustment.partner_id == partner_id, BillingAdjustment.invoice_id.is_(None))
        .order_by(BillingAdjustment.id)))
