"""The partner's Billing page: balances in its currency, its invoices with filters, one invoice with lines,
payments and balance; another partner's invoice is a 404 on every invoice route; only admins get in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.services.conversion_status import change_status
from portal.services.payments import record_payment
from tests.invoicing import generate_invoices_after


@pytest.fixture
def world(make):
    offer = make.offer(name="Acme Shoes", currency="EUR")
    mine = make.partner(currency="EUR", timezone="Europe/Berlin")
    theirs = make.partner()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    for cents in (1000, 2345):
        make.conversion(mine, offer, at=yesterday, payout_cents=cents)
    make.conversion(mine, offer, at=yesterday, payout_cents=555, status="pending")
    make.conversion(theirs, offer, at=yesterday, payout_cents=77_700)
    today = datetime.now(UTC).date()
    invoices = generate_invoices_after(today - timedelta(days=3), today + timedelta(days=1), None, None).invoices
    own = next(i for i in invoices if i.partner_id == mine.id)
    foreign = next(i for i in invoices if i.partner_id == theirs.id)
    record_payment(own.id, date.today(), 1000, "bank_transfer", "SEPA-42", None)
    return {"mine": mine, "theirs": theirs, "own": own, "foreign": foreign, "offer": offer}


@pytest.fixture
def signed_in(client, make, login_as, world):
    login_as.partner(make.partner_user(world["mine"], role="admin"))
    return client


def test_billing_shows_the_balances_and_the_partners_own_invoices(signed_in, world):
    page = signed_in.get("/billing").data.decode()
    assert "not built" not in page
    assert 'data-balance="pending">€5.55' in page
    assert 'data-balance="approved">€0.00' in page
    assert 'data-balance="invoiced">€23.45' in page
    assert 'data-balance="paid">€10.00' in page
    assert world["own"].number in page and world["foreign"].number not in page


def test_the_dashboard_shows_the_same_balances(signed_in):
    page = signed_in.get("/").data.decode()
    assert 'id="dashboard-balances"' in page and 'data-balance="invoiced">€23.45' in page


def test_invoice_filters(signed_in, world):
    today = datetime.now(UTC).date()
    assert world["own"].number in signed_in.get("/billing?status=unpaid").data.decode()
    assert world["own"].number not in signed_in.get("/billing?status=paid").data.decode()
    later = (today + timedelta(days=2)).isoformat()
    assert world["own"].number not in signed_in.get(f"/billing?start_date={later}").data.decode()
    assert world["own"].number in signed_in.get(f"/billing?end_date={later}").data.decode()
    backwards = signed_in.get(f"/billing?start_date={later}&end_date={today.isoformat()}")
    assert backwards.status_code == 400 and b"end_date" in backwards.data
    for junk in ("status=%ED%A0%80", "start_date=2026-02-30", f"page={2**70}", "end_date=99999-01-01", "status=void"):
        assert signed_in.get(f"/billing?{junk}").status_code in (200, 400), junk


@pytest.mark.parametrize("query,field", [("end_date=9999-12-31", b"end_date"), ("start_date=0001-01-01", b"start_date")])
def test_dates_at_the_calendars_edge_are_a_400_naming_the_field(client, make, login_as, query, field):
    tokyo = make.partner(timezone="Asia/Tokyo")
    login_as.partner(make.partner_user(tokyo, role="admin"))
    answer = client.get(f"/billing?{query}")
    assert answer.status_code == 400 and field in answer.data


def test_an_invoice_shows_its_lines_payments_and_balance(signed_in, world):
    page = signed_in.get(f"/billing/invoices/{world['own'].id}").data.decode()
    assert "Acme Shoes" in page and "€33.45" in page and "SEPA-42" in page
    assert 'id="invoice-balance">€23.45' in page


def test_a_rejection_after_invoicing_shows_as_approved_minus_on_the_balances(signed_in, db, world, make):
    from sqlalchemy import select

    from portal.models import Conversion

    conversion = db.session.scalars(select(Conversion).where(Conversion.partner_id == world["mine"].id,
                                                             Conversion.payout_cents == 1000)).one()
    change_status(conversion, "rejected", None)
    page = signed_in.get("/billing").data.decode()
    assert 'data-balance="approved">€-10.00' in page
    assert 'data-balance="invoiced">€23.45' in page  # the sent invoice is unchanged


@pytest.mark.parametrize("which", ["foreign", "missing", "huge", "zero"])
def test_another_partners_or_no_invoice_is_404(signed_in, world, which):
    invoice_id = {"foreign": world["foreign"].id, "missing": world["foreign"].id + 1000, "huge": 2**63,
                  "zero": 0}[which]
    assert signed_in.get(f"/billing/invoices/{invoice_id}").status_code == 404


def test_members_cannot_open_billing(client, make, login_as, world):
    login_as.partner(make.partner_user(world["mine"], role="reports"))
    assert client.get("/billing").status_code == 403
    assert client.get(f"/billing/invoices/{world['own'].id}").status_code == 403
    assert 'id="dashboard-balances"' not in client.get("/").data.decode()


def test_an_invoice_downloads_as_csv_with_its_lines_payments_and_balance(signed_in, world):
    import csv
    import io

    response = signed_in.get(f"/billing/invoices/{world['own'].id}/csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f'filename="{world["own"].number.lower()}.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    by_row = {row["row"]: row for row in rows}
    assert by_row["offer"]["description"] == "Acme Shoes" and by_row["offer"]["conversions"] == "2"
    assert by_row["offer"]["amount_cents"] == by_row["total"]["amount_cents"] == "3345"
    assert by_row["payment"]["reference"] == "SEPA-42" and by_row["payment"]["amount_cents"] == "1000"
    assert by_row["balance"]["amount_cents"] == "2345" and {row["currency"] for row in rows} == {"EUR"}
    assert signed_in.get(f"/billing/invoices/{world['foreign'].id}/csv").status_code == 404


def test_a_partner_paid_in_two_currencies_sees_a_row_for_each_never_a_sum(signed_in, make, world):
    mine = world["mine"]
    dollars = make.offer(name="US Hats", currency="USD")
    make.conversion(mine, dollars, at=datetime.now(UTC) - timedelta(days=1), payout_cents=4_200)
    for path in ("/billing", "/"):
        page = signed_in.get(path).data.decode()
        euro_row = page[page.index('data-currency="EUR"'):page.index('data-currency="USD"')]
        assert 'data-balance="invoiced">€23.45' in euro_row and "$" not in euro_row
        dollar_row = page[page.index('data-currency="USD"'):]
        assert 'data-balance="approved">$42.00' in dollar_row
        assert "€65.45" not in page and "$65.45" not in page  # 2345 + 4200 added up would be a lie
