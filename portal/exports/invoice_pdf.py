"""An invoice as a PDF (fpdf2): the network, the partner, the number, period, issue and due dates, payment
terms, the offer lines, the adjustments, the payments, and the total, paid and balance in the invoice's
currency. Pure: the caller passes every name it shows.

Text is drawn in PDF's built-in Helvetica, whose encoding is Latin-1: no Unicode font ships in a package we
can depend on, so a character outside Latin-1 (CJK, emoji) is drawn as '?' rather than failing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from portal.domain.billing import InvoiceDetail

_WIDTH = 180  # mm between the margins of an A4 page
_METHODS = {"bank_transfer": "Bank transfer", "paypal": "PayPal", "wire": "Wire", "check": "Check", "other": "Other"}


@dataclass(frozen=True)
class InvoiceParties:
    """Who the invoice is between, as the PDF names them."""

    network_name: str
    partner_name: str
    affiliate_id: int
    timezone: str  # the partner's: the issue day is its day


def money(cents: int, currency: str) -> str:
    """1,234.56 USD; -12.00 USD."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{part:02d} {currency}"


def latin1(text: str) -> str:
    """What Helvetica can draw: control characters dropped, anything outside Latin-1 as '?'."""
    shown = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf") or c == " ")
    return shown.encode("latin-1", "replace").decode("latin-1")


def _clip(pdf: FPDF, text: str, width: float) -> str:
    text = latin1(text)
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "...") > width:
        text = text[:-1]
    return text + "..."


class _Invoice(FPDF):
    def row(self, cells: list[tuple[str, float, str]], bold: bool = False) -> None:
        self.set_font("Helvetica", "B" if bold else "", 9)
        for text, width, align in cells:
            self.cell(width, 6, _clip(self, text, width - 2), align=align)
        self.ln(6)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("Helvetica", "B", 11)
        self.cell(_WIDTH, 7, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def pair(self, label: str, value: str) -> None:
        self.set_font("Helvetica", "", 9)
        self.cell(40, 5, latin1(label))
        self.cell(_WIDTH - 40, 5, _clip(self, value, _WIDTH - 42), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _issued_on(detail: InvoiceDetail, timezone: str) -> date:
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return detail.invoice.created_at.astimezone(zone).date()


def invoice_pdf(detail: InvoiceDetail, parties: InvoiceParties) -> bytes:
    invoice, currency = detail.invoice, detail.invoice.currency
    pdf = _Invoice(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, 15)
    pdf.set_title(latin1(f"Invoice {invoice.number}"))
    pdf.set_author(latin1(parties.network_name))
    pdf.set_creator("Partner Portal")
    pdf.add_page()

    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(_WIDTH, 9, _clip(pdf, parties.network_name, _WIDTH), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 12)
    pdf.cell(_WIDTH, 7, latin1(f"Invoice {invoice.number}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.pair("Billed to", parties.partner_name)
    pdf.pair("Affiliate ID", str(parties.affiliate_id))
    pdf.pair("Period", f"{invoice.period_start.isoformat()} to {invoice.period_end.isoformat()}")
    pdf.pair("Issued", _issued_on(detail, parties.timezone).isoformat())
    pdf.pair("Due", invoice.due_on.isoformat())
    pdf.pair("Payment terms", f"Net {invoice.terms_days}")
    pdf.pair("Status", invoice.status.capitalize())

    amount_width = 40
    offers = [line for line in detail.lines if line.kind == "offer"]
    adjustments = [line for line in detail.lines if line.kind != "offer"]
    pdf.heading("Offers")
    clicked = any(line.clicks for line in offers)  # a Paid clicks column only when CPC earnings are billed
    name_width = 80 if clicked else 110
    pdf.row([("Offer", name_width, "L"), ("Conversions", 30, "R"), *([("Paid clicks", 30, "R")] if clicked else []),
             ("Amount", amount_width, "R")], bold=True)
    for line in offers:
        pdf.row([(line.description, name_width, "L"), (f"{line.conversions:,}", 30, "R"),
                 *([(f"{line.clicks:,}", 30, "R")] if clicked else []),
                 (money(line.amount_cents, currency), amount_width, "R")])
    if not offers:
        pdf.row([("None", _WIDTH, "L")])
    if adjustments:
        pdf.heading("Adjustments")
        for line in adjustments:
            pdf.row([(line.description, 140, "L"), (money(line.amount_cents, currency), amount_width, "R")])
    pdf.heading("Payments")
    if detail.payments:
        pdf.row([("Date", 30, "L"), ("Method", 40, "L"), ("Reference", 70, "L"), ("Amount", amount_width, "R")],
                bold=True)
        for payment in detail.payments:
            pdf.row([(payment.paid_on.isoformat(), 30, "L"), (_METHODS.get(payment.method, payment.method), 40, "L"),
                     (payment.reference, 70, "L"), (money(payment.amount_cents, currency), amount_width, "R")])
    else:
        pdf.row([("None yet", _WIDTH, "L")])
    pdf.ln(3)
    for label, cents in (("Total", invoice.total_cents), ("Paid", invoice.paid_cents),
                         ("Balance", invoice.balance_cents)):
        pdf.row([(label, 140, "R"), (money(cents, currency), amount_width, "R")], bold=label == "Balance")
    return bytes(pdf.output())
