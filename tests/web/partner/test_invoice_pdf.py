"""An invoice as a PDF: read back with a PDF text extractor, it names the network, the partner, the invoice
number, its period, dates and terms, its lines, adjustments and payments, and the total, paid and balance
formatted in its currency; names in any script never break it; another partner's PDF is a 404; staff with
billing:manage download the same file."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.exports.invoice_pdf import money
from portal.models import InvoiceLine
from portal.queries.settings import network_settings
from portal.services.billing_adjustments import add_adjustment
from portal.services.payments import record_payment
from tests.invoicing import generate_invoices_after


@pytest.fixture
def world(make):
    offer = make.offer(name="Acme Shoes", currency="EUR")
    mine = make.partner(name="Dune Media GmbH", currency="EUR", timezone="Europe/Berlin")
    theirs = make.partner()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    make.conversion(mine, offer, at=yesterday, payout_cents=123_456)
    make.conversion(theirs, offer, at=yesterday, payout_cents=700)
    add_adjustment(mine.id, "deduction", 1_000, "Fraudulent leads", None)
    today = datetime.now(UTC).date()
    invoices = generate_invoices_after(today - timedelta(days=3), today + timedelta(days=1), None, None).invoices
    own = next(i for i in invoices if i.partner_id == mine.id)
    foreign = next(i for i in invoices if i.partner_id == theirs.id)
    record_payment(own.id, date(2026, 11, 20), 20_000, "bank_transfer", "SEPA-42", None)
    return {"mine": mine, "own": own, "foreign": foreign, "offer": offer}


@pytest.fixture
def signed_in(client, make, login_as, world):
    login_as.partner(make.partner_user(world["mine"], role="admin"))
    return client


def text_of(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_money_is_grouped_with_two_decimals_and_the_currency():
    assert money(123_456, "USD") == "1,234.56 USD"
    assert money(-1_000, "EUR") == "-10.00 EUR" and money(5, "EUR") == "0.05 EUR"


def test_the_pdf_has_the_invoice_its_parties_lines_and_totals(signed_in, world):
    own = world["own"]
    response = signed_in.get(f"/billing/invoices/{own.id}.pdf")
    assert f'filename="{own.number.lower()}.pdf"' in response.headers["Content-Disposition"]
    text = text_of(response)
    assert own.number in text and "Dune Media GmbH" in text and str(world["mine"].id) in text
    assert network_settings().network_name in text
    assert f"{own.period_start} to {own.period_end}" in text and str(own.due_on) in text
    assert f"Net {own.terms_days}" in text
    assert "Acme Shoes" in text and "1,234.56 EUR" in text
    assert "Fraudulent leads" in text and "-10.00 EUR" in text
    assert "SEPA-42" in text and "200.00 EUR" in text
    assert "Total 1,224.56 EUR" in text and "Paid 200.00 EUR" in text and "Balance 1,024.56 EUR" in text


def test_the_invoice_page_links_to_its_pdf(signed_in, world):
    page = signed_in.get(f"/billing/invoices/{world['own'].id}").data.decode()
    assert f'href="/billing/invoices/{world["own"].id}.pdf"' in page


@pytest.mark.parametrize("which", ["foreign", "huge", "zero"])
def test_another_partners_or_no_pdf_is_a_404(signed_in, world, which):
    invoice_id = {"foreign": world["foreign"].id, "huge": 2**63, "zero": 0}[which]
    response = signed_in.get(f"/billing/invoices/{invoice_id}.pdf")
    assert response.status_code == 404 and not response.data.startswith(b"%PDF")


def test_names_in_any_script_give_a_valid_pdf(signed_in, db, world):
    """Helvetica draws Latin-1 only: CJK and emoji come out as '?' and the rest of the PDF is intact."""
    world["mine"].name = "Dune 株式会社 🚀 Café"
    world["offer"].name = "Schuhe für 東京 😀"
    db.session.commit()
    line = db.session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == world["own"].id,
                                                         InvoiceLine.kind == "offer")).one()
    line.description = world["offer"].name
    db.session.commit()
    text = text_of(signed_in.get(f"/billing/invoices/{world['own'].id}.pdf"))
    assert "Dune ???? ? Café" in text and "Schuhe für ?? ?" in text
    assert world["own"].number in text and "Balance 1,024.56 EUR" in text


def test_staff_download_the_same_pdf(client, make, login_as, world):
    login_as.staff(make.staff(permissions=["billing:manage"]))
    own = world["own"]
    text = text_of(client.get(f"/staff/invoices/{own.id}.pdf"))
    assert own.number in text and "Dune Media GmbH" in text and "Balance 1,024.56 EUR" in text
    assert f'href="/staff/invoices/{own.id}.pdf"' in client.get(f"/staff/invoices/{own.id}").data.decode()
    assert client.get("/staff/invoices/999999.pdf").status_code == 404
