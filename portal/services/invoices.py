"""Invoice runs and voids: approved conversions and paid (CPC) clicks not yet invoiced become one invoice per
partner, currency and period.

Periods are days in the partner's timezone (an invoice for November is the partner's November). A run also
carries what earlier runs left behind: conversions created before the period that are approved and still
uninvoiced (the partner was under the minimum payout, or the conversion was approved late) and the pending
adjustments (staff bonuses and deductions, reversals of conversions rejected after they were invoiced).

Each invoice is in one currency: a partner earning in several (offers paying in EUR beside USD ones) gets one
invoice per currency, each against the minimum payout on its own; amounts in different currencies are never
added up.

A conversion (or a paid click) is invoiced at most once, whatever runs at the same time: each partner's
invoice is one transaction that locks the partner row and claims its conversions and clicks with
`UPDATE … SET invoice_id = … WHERE invoice_id IS NULL`, so a second run (another process, the scheduler and
a staff member together) finds them claimed and writes nothing. A void releases them.

A click earns when it is taken (a unique valid click on a CPC offer: `clicks.payout_cents`, in
`clicks.currency`, its offer's then), with no approval step, so it is invoiced by the first run whose period
it falls in.
"""

from __future__ import annotations

import calendar
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal_column, select, update

from portal.domain.invoice_periods import unfinished_period
from portal.extensions import db
from portal.models import BillingAdjustment, Click, Conversion, Invoice, InvoiceLine, Offer, Partner, StaffUser
from portal.models.base import utcnow
from portal.queries.settings import network_settings
from portal.services import audit
from portal.services.billing_adjustments import settle_conversion
from portal.services.write_lock import begin_write


class BillingError(ValueError):
    """A billing action that cannot be done; the message says why, for people."""


@dataclass
class RunResult:
    invoices: list[Invoice] = field(default_factory=list)
    # (partner id, currency) owed less than the minimum payout: left for the next run
    below_threshold: list[tuple[int, str]] = field(default_factory=list)
    # partner ids whose own timezone is still in the period's last day (behind the network's): a later run
    not_over: list[int] = field(default_factory=list)


FIRST_YEAR, LAST_YEAR = 2000, 2999  # invoice periods; beyond them the local-midnight arithmetic overflows


def month_period(month: str) -> tuple[date, date]:
    """'2026-11' → the first and last day of that month; BillingError for anything else."""
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except (ValueError, OverflowError):
        raise BillingError(f"month: {month!r} is not a month written YYYY-MM") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BillingError(f"month: years {FIRST_YEAR}–{LAST_YEAR} only")
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def local_day_start(day: date, timezone: str) -> datetime:
    """Midnight starting a day in the timezone, in UTC."""
    return datetime.combine(day, time.min, ZoneInfo(timezone or "UTC")).astimezone(UTC)


def generate_invoices(start: date, end: date, partner_ids: Iterable[int] | None, actor=None,
                      ip: str | None = None) -> RunResult:
    """Invoice every partner (or the given ones) for the days start..end (inclusive, partner's time).

    One transaction per partner: a failure leaves the invoices already made in place, and running the same
    period again invoices only what is still uninvoiced (nothing, if nothing changed)."""
    if end < start:
        raise BillingError("the period ends before it starts")
    if not (FIRST_YEAR <= start.year and end.year <= LAST_YEAR):
        raise BillingError(f"the period must lie within the years {FIRST_YEAR}–{LAST_YEAR}")
    if end - start > timedelta(days=366):
        raise BillingError("a period is at most a year")
    if unfinished := unfinished_period(end, utcnow(), network_settings().timezone):
        raise BillingError(unfinished)
    result = RunResult()
    for partner_id, currency in _candidates(end, partner_ids):
        invoice, left = _invoice_partner(partner_id, currency, start, end, actor, ip)
        if invoice is not None:
            result.invoices.append(invoice)
        elif left == "below_threshold":
            result.below_threshold.append((partner_id, currency))
        elif left == "not_over" and partner_id not in result.not_over:
            result.not_over.append(partner_id)
    return result


def _candidates(end: date, partner_ids: Iterable[int] | None) -> list[tuple[int, str]]:
    """(partner, currency) with something to invoice: approved uninvoiced conversions up to the period's end
    (a day of slack for the farthest timezone; the exact bound is the partner's own) or a pending adjustment."""
    latest = local_day_start(end + timedelta(days=2), "UTC")
    earned = (select(Conversion.partner_id, Conversion.currency)
              .where(Conversion.status == "approved", Conversion.is_test.is_(False), Conversion.invoice_id.is_(None),
                     Conversion.created_at < latest)
              .distinct())
    clicked = (select(Click.partner_id, Click.currency)
               .where(*_uninvoiced_paid_clicks(), Click.created_at < latest).distinct())
    adjusted = (select(BillingAdjustment.partner_id, BillingAdjustment.currency)
                .where(BillingAdjustment.invoice_id.is_(None)).distinct())
    pairs = {tuple(row) for query in (earned, clicked, adjusted) for row in db.session.execute(query)}
    if partner_ids is not None:
        wanted = {int(partner_id) for partner_id in partner_ids}
        pairs = {pair for pair in pairs if pair[0] in wanted}
    test_partners = set(db.session.scalars(select(Partner.id).where(Partner.is_test.is_(True))))
    db.session.rollback()  # end the read: each partner's invoice is its own transaction
    return sorted(pair for pair in pairs if pair[0] not in test_partners)


def _invoice_partner(partner_id: int, currency: str, start: date, end: date, actor,
                     ip: str | None) -> tuple[Invoice | None, str | None]:
    """The partner's invoice in the currency, or (None, why not: "below_threshold" when something was owed but
    under it, "not_over" when the period's last day is still running in the partner's timezone, else None)."""
    session = db.session
    begin_write(session)
    partner = session.scalars(select(Partner).where(Partner.id == partner_id).with_for_update()).one()
    settings = network_settings()
    today = utcnow().astimezone(ZoneInfo(partner.timezone or "UTC")).date()
    if end >= today:  # the network's day is over, the partner's (a timezone behind) not yet: nothing is claimed
        session.rollback()
        return None, "not_over"
    invoice = Invoice(number=f"tmp-{secrets.token_hex(8)}", partner_id=partner.id, period_start=start,
                      period_end=end, status="unpaid", currency=currency, total_cents=0,
                      paid_cents=0, terms_days=settings.payment_terms_days,
                      due_on=today + timedelta(days=settings.payment_terms_days),
                      created_by_id=actor.id if isinstance(actor, StaffUser) else None)
    session.add(invoice)
    session.flush()
    invoice.number = f"INV-{invoice.id:06d}"

    # The claim: only rows nobody has claimed. A concurrent run's UPDATE waits for this one's row locks,
    # then re-checks `invoice_id IS NULL` and skips what this one took.
    period_end = local_day_start(end + timedelta(days=1), partner.timezone)
    claimed = session.execute(
        update(Conversion)
        .where(Conversion.partner_id == partner.id, Conversion.currency == currency, Conversion.status == "approved",
               Conversion.is_test.is_(False), Conversion.invoice_id.is_(None),
               Conversion.created_at < period_end)
        .values(invoice_id=invoice.id)
        .execution_options(synchronize_session=False)).rowcount
    clicks = session.execute(
        update(Click)
        .where(Click.partner_id == partner.id, *_uninvoiced_paid_clicks(), Click.created_at < period_end,
               Click.currency == currency)
        .values(invoice_id=invoice.id)
        .execution_options(synchronize_session=False)).rowcount
    carried = session.execute(
        update(BillingAdjustment)
        .where(BillingAdjustment.partner_id == partner.id, BillingAdjustment.currency == currency,
               BillingAdjustment.invoice_id.is_(None))
        .values(invoice_id=invoice.id)
        .execution_options(synchronize_session=False)).rowcount
    if not claimed and not clicks and not carried:
        session.rollback()
        return None, None

    lines = _offer_lines(invoice.id) + _adjustment_lines(invoice.id)
    total = sum(line.amount_cents for line in lines)
    if total < max(settings.minimum_payout_cents, 1):
        # Under the threshold (or nothing owed): nothing is claimed, all of it rolls into the next run.
        session.rollback()
        return None, "below_threshold"
    firsts = [session.scalar(select(func.min(Conversion.created_at)).where(Conversion.invoice_id == invoice.id)),
              session.scalar(select(func.min(Click.created_at)).where(Click.invoice_id == invoice.id))]
    earliest = min((at for at in firsts if at is not None), default=None)
    if earliest is not None:  # carried-over conversions widen the period the invoice covers
        invoice.period_start = min(start, earliest.astimezone(ZoneInfo(partner.timezone or "UTC")).date())
    invoice.total_cents = total
    session.add_all(lines)
    audit.record("invoice.created", actor=actor, target=invoice, ip=ip,
                 detail={"partner_id": partner.id, "number": invoice.number, "total_cents": total,
                         "currency": invoice.currency, "conversions": claimed, "paid_clicks": clicks,
                         "adjustments": carried,
                         "period": [invoice.period_start.isoformat(), end.isoformat()]})
    session.commit()
    return invoice, None


def _uninvoiced_paid_clicks() -> tuple:
    """Clicks that earned something and are not invoiced yet (the partial index ix_clicks_uninvoiced_earnings;
    the 0 written into the statement, not bound, so that PostgreSQL's generic plans can still use it)."""
    return Click.payout_cents > literal_column("0"), Click.invoice_id.is_(None), Click.is_test.is_(False)


def _offer_lines(invoice_id: int) -> list[InvoiceLine]:
    """One line per offer: its approved conversions and its paid clicks on the invoice, counted and summed."""
    found: dict[int, dict] = {}
    for table, count_as in ((Conversion, "conversions"), (Click, "clicks")):
        for offer_id, name, count, amount in db.session.execute(
                select(table.offer_id, Offer.name, func.count(), func.sum(table.payout_cents))
                .join(Offer, Offer.id == table.offer_id)
                .where(table.invoice_id == invoice_id)
                .group_by(table.offer_id, Offer.name)):
            line = found.setdefault(offer_id, {"name": name, "conversions": 0, "clicks": 0, "amount": 0})
            line[count_as] += count
            line["amount"] += int(amount or 0)
    return [InvoiceLine(invoice_id=invoice_id, kind="offer", offer_id=offer_id, description=line["name"][:300],
                        amount_cents=line["amount"], conversions=line["conversions"], clicks=line["clicks"])
            for offer_id, line in sorted(found.items())]


def _adjustment_lines(invoice_id: int) -> list[InvoiceLine]:
    adjustments = db.session.scalars(select(BillingAdjustment).where(BillingAdjustment.invoice_id == invoice_id)
                                     .order_by(BillingAdjustment.id)).all()
    return [InvoiceLine(invoice_id=invoice_id, kind="adjustment", adjustment_id=adjustment.id,
                        description=f"{adjustment.kind.capitalize()}: {adjustment.reason}"[:300],
                        amount_cents=adjustment.amount_cents, conversions=0)
            for adjustment in adjustments]


def locked_invoice(session, invoice_id: int) -> Invoice:
    """A write begins and the invoice's row is locked (FOR UPDATE; SQLite's write lock) and read afresh, so
    that what is decided about it holds until the commit; LookupError (nothing begun) when there is none."""
    begin_write(session)
    invoice = session.scalars(select(Invoice).where(Invoice.id == invoice_id).with_for_update()
                              .execution_options(populate_existing=True)).one_or_none()
    if invoice is None:
        session.rollback()
        raise LookupError(invoice_id)
    return invoice


def void_invoice(invoice_id: int, actor, ip: str | None = None) -> Invoice:
    """Void an unpaid invoice with no payments: its conversions and clicks become uninvoiced again and its
    adjustments pending again, so the next run invoices them afresh. The invoice and its lines stay, void."""
    session = db.session
    invoice = locked_invoice(session, invoice_id)
    if invoice.status == "void":
        session.rollback()
        raise BillingError(f"{invoice.number} is already void")
    if invoice.paid_cents:
        session.rollback()
        raise BillingError(f"{invoice.number} has payments recorded; it cannot be voided")
    # The invoice's conversions before the partner, in the order a status change takes them (the conversion,
    # then the partner through its reversal), so that a concurrent rejection waits here instead of deadlocking;
    # what is read below is then what this void settles (FOR UPDATE is a no-op on SQLite).
    session.execute(select(Conversion.id).where(Conversion.invoice_id == invoice.id).with_for_update()).all()
    session.scalars(select(Partner).where(Partner.id == invoice.partner_id).with_for_update()).one()
    invoice.status, invoice.voided_at = "void", utcnow()
    invoice.voided_by_id = actor.id if isinstance(actor, StaffUser) else None
    # Conversions that stopped being approved after this invoice: released, they are owed nothing and
    # their reversal (pending, or on a later invoice) is settled below.
    changed = session.scalars(select(Conversion).where(Conversion.invoice_id == invoice.id,
                                                       Conversion.status != "approved")
                              .execution_options(populate_existing=True)).all()
    released = session.execute(update(Conversion).where(Conversion.invoice_id == invoice.id)
                               .values(invoice_id=None).execution_options(synchronize_session=False)).rowcount
    clicks = session.execute(update(Click).where(Click.invoice_id == invoice.id)
                             .values(invoice_id=None).execution_options(synchronize_session=False)).rowcount
    reopened = session.execute(update(BillingAdjustment).where(BillingAdjustment.invoice_id == invoice.id)
                               .values(invoice_id=None).execution_options(synchronize_session=False)).rowcount
    session.expire_all()
    for conversion in changed:
        settle_conversion(session.get(Conversion, conversion.id), f"invoice {invoice.number} voided", actor)
    audit.record("invoice.voided", actor=actor, target=invoice, ip=ip,
                 detail={"partner_id": invoice.partner_id, "number": invoice.number,
                         "total_cents": invoice.total_cents, "conversions_released": released, "paid_clicks_released": clicks,
                         "adjustments_pending_again": reopened})
    session.commit()
    return invoice
