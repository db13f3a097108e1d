"""Staff billing pages: only billing:manage gets in; a run is confirmed before it invoices, twice is once;
payments, adjustments and voids go through their forms; bad input is a 400 or 404, never a 500."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from portal.models import BillingAdjustment, Conversion, Invoice, Payment
from portal.services.invoices import generate_invoices, month_period
from tests.invoicing import invoicing_at

MANAGE = "billing:manage"
NOV = datetime(2026, 11, 10, tzinfo=UTC)


@pytest.fixture
def world(make):
    partner, offer = make.partner(name="Acme Media"), make.offer(name="Shoes")
    for cents in (1250, 2750):
        make.conversion(partner, offer, at=NOV, payout_cents=cents)
    return {"partner": partner, "offer": offer}


def _invoice_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Invoice))


@pytest.mark.parametrize("permissions", [[], ["partners:view", "partners:manage", "offers:manage"]])
def test_without_billing_manage_every_billing_page_is_forbidden(client, db, make, login_as, world, permissions):
    [invoice] = generate_invoices(*month_period("2026-11"), None, None).invoices
    login_as.staff(make.staff(permissions=permissions))
    pid, iid = world["partner"].id, invoice.id
    for method, path in [("get", "/staff/invoices"), ("get", "/staff/invoices/run"), ("post", "/staff/invoices/run"),
                         ("get", f"/staff/invoices/{iid}"), ("get", f"/staff/invoices/{iid}.pdf"), ("post", f"/staff/invoices/{iid}/payments"),
                         ("get", f"/staff/invoices/{iid}/void"), ("post", f"/staff/invoices/{iid}/void"),
                         ("get", f"/staff/partners/{pid}/billing"), ("post", f"/staff/partners/{pid}/billing")]:
        assert getattr(client, method)(path).status_code == 403, path
    assert b"Billing" not in client.get("/staff/account").data.split(b"</nav>")[0]


def test_a_monthly_run_is_confirmed_first_and_running_it_twice_invoices_once(client, db, make, login_as, world):
    login_as.staff(make.staff(permissions=[MANAGE]))
    form = {"scope": "month", "month": "2026-11"}
    review = client.post("/staff/invoices/run", data=form)
    assert review.status_code == 200 and b"Create the invoices" in review.data and _invoice_count(db) == 0
    for _ in range(2):
        done = client.post("/staff/invoices/run", data={**form, "confirmed": "yes"})
        assert done.status_code == 302
    [invoice] = db.session.scalars(select(Invoice)).all()
    assert invoice.total_cents == 4000
    listing = client.get("/staff/invoices?status=unpaid").data.decode()
    assert invoice.number in listing and "Acme Media" in listing and "$40.00" in listing
    assert invoice.number not in client.get("/staff/invoices?status=paid").data.decode()


def test_a_custom_range_for_one_partner(client, db, make, login_as, world):
    other = make.partner()
    make.conversion(other, world["offer"], at=NOV, payout_cents=999)
    login_as.staff(make.staff(permissions=[MANAGE]))
    data = {"scope": "range", "start": "2026-11-01", "end": "2026-11-15", "partner_id": str(world["partner"].id),
            "confirmed": "yes"}
    assert client.post("/staff/invoices/run", data=data).status_code == 302
    assert [i.partner_id for i in db.session.scalars(select(Invoice))] == [world["partner"].id]
    for bad in ({"partner_id": "999999"}, {"end": "2026-10-01"}, {"partner_id": str(2**40)}, {"start": "x"},
                {"end": ""}):
        assert client.post("/staff/invoices/run", data={**data, **bad}).status_code == 400, bad
    assert client.post("/staff/invoices/run", data={"scope": "month", "month": "2026-13", "confirmed": "yes"}
                       ).status_code == 400
    surrogate = client.post("/staff/invoices/run", data="scope=month&month=%ED%A0%80",
                            content_type="application/x-www-form-urlencoded")
    assert surrogate.status_code == 400


def test_payments_adjustments_and_void_through_the_forms(client, db, make, login_as, world):
    login_as.staff(make.staff(permissions=[MANAGE]))
    [invoice] = generate_invoices(*month_period("2026-11"), None, None).invoices
    path = f"/staff/invoices/{invoice.id}"
    page = client.get(path).data.decode()
    assert "$40.00" in page and "Shoes" in page and "Record payment" in page
    paid = client.post(f"{path}/payments", data={"paid_on": "2026-12-05", "amount": "15.50", "method": "paypal",
                                                 "reference": "PP-77"})
    assert paid.status_code == 302
    assert "$24.50" in client.get(path).data.decode()
    for bad in ({"amount": "24.51"}, {"amount": "0"}, {"amount": "NaN"}, {"amount": "1e400"}, {"method": "cash"},
                {"paid_on": "2026-02-30"}, {"reference": "x\x00y"}):
        data = {"paid_on": "2026-12-06", "amount": "1.00", "method": "paypal", "reference": "", **bad}
        assert client.post(f"{path}/payments", data=data).status_code == 400, bad
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    # A void is refused once a payment is recorded.
    assert client.post(f"{path}/void").status_code == 302
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == "unpaid"

    billing = f"/staff/partners/{world['partner'].id}/billing"
    assert client.post(billing, data={"kind": "bonus", "amount": "10.00", "reason": "Black Friday"}).status_code == 302
    assert client.post(billing, data={"kind": "deduction", "amount": "2.5", "reason": "Chargeback"}).status_code == 302
    for bad in ({"reason": ""}, {"amount": "-1"}, {"kind": "gift"}, {"amount": "99999999999"}):
        data = {"kind": "bonus", "amount": "1", "reason": "x", **bad}
        assert client.post(billing, data=data).status_code == 400, bad
    assert sorted(a.amount_cents for a in db.session.scalars(select(BillingAdjustment))) == [-250, 1000]
    assert "Black Friday" in client.get(billing).data.decode()


def test_voiding_through_the_confirmation_releases_the_conversions(client, db, make, login_as, world):
    login_as.staff(make.staff(permissions=[MANAGE]))
    [invoice] = generate_invoices(*month_period("2026-11"), None, None).invoices
    confirm = client.get(f"/staff/invoices/{invoice.id}/void")
    assert confirm.status_code == 200 and b"Void invoice" in confirm.data
    assert client.post(f"/staff/invoices/{invoice.id}/void").status_code == 302
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == "void"
    assert db.session.scalar(select(func.count()).select_from(Conversion).where(Conversion.invoice_id.is_not(None))) == 0


@pytest.mark.parametrize("invoice_id", ["0", "999999", str(2**31), str(2**70)])
def test_unknown_invoices_are_404(client, make, login_as, invoice_id):
    login_as.staff(make.staff(permissions=[MANAGE]))
    for method, suffix in [("get", ""), ("get", "/void"), ("post", "/void"), ("post", "/payments")]:
        assert getattr(client, method)(f"/staff/invoices/{invoice_id}{suffix}").status_code == 404


def test_the_cli_runs_a_month_once(app, db, world):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["invoices", "run", "--month", "2026-11"])
    assert first.exit_code == 0, first.output
    assert "1 invoice(s) created" in first.output
    again = runner.invoke(args=["invoices", "run", "--month", "2026-11"])
    assert "0 invoice(s) created" in again.output and _invoice_count(db) == 1
    bad = runner.invoke(args=["invoices", "run", "--month", "November"])
    assert bad.exit_code != 0 and "YYYY-MM" in bad.output


def test_payment_terms_and_minimum_payout_are_network_settings(client, db, admin):
    from portal.models import AuditEvent, NetworkSettings

    form = {"network_name": "Partner Network", "timezone": "UTC", "currency": "USD", "network_api_offer_id": "0",
            "partner_postbacks_enabled": "y", "payment_terms_days": "45", "minimum_payout_cents": "5000"}
    assert client.post("/staff/settings", data=form).status_code == 302
    settings = db.session.get(NetworkSettings, 1)
    assert (settings.payment_terms_days, settings.minimum_payout_cents) == (45, 5000)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.changed")).one()
    assert event.detail["payment_terms_days"] == {"from": 30, "to": 45}
    for bad in ({"payment_terms_days": "-1"}, {"payment_terms_days": "366"}, {"minimum_payout_cents": str(10**13)}):
        assert client.post("/staff/settings", data={**form, **bad}).status_code == 400
    # A form without them (an older page) keeps them.
    del form["payment_terms_days"], form["minimum_payout_cents"]
    assert client.post("/staff/settings", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(NetworkSettings, 1).payment_terms_days == 45


def test_an_adjustment_in_another_currency_and_balances_per_currency(client, db, make, login_as, world):
    login_as.staff(make.staff(permissions=[MANAGE]))
    partner = world["partner"]
    make.conversion(partner, make.offer(currency="EUR"), at=NOV, payout_cents=900)
    billing = f"/staff/partners/{partner.id}/billing"
    form = client.get(billing).data.decode()
    options = re.findall(r'<option (selected )?value="([A-Z]{3})"', form[form.index('name="currency"'):])
    assert options == [("selected ", "USD"), ("", "EUR")]
    assert client.post(billing, data={"kind": "bonus", "amount": "3.00", "reason": "Launch",
                                      "currency": "EUR"}).status_code == 302
    assert client.post(billing, data={"kind": "bonus", "amount": "1.00", "reason": "Own",
                                      "currency": "USD"}).status_code == 302
    # Only the currencies the network pays in: a typo (or a real code nobody uses here) opens no invoice.
    for bad in ("EU", "EURO", "€€€", "E\x00R", "eur", "JPY", ""):
        data = {"kind": "bonus", "amount": "1", "reason": "x", "currency": bad}
        assert client.post(billing, data=data).status_code == 400, bad
    surrogate = client.post(billing, data="kind=bonus&amount=1&reason=x&currency=E%ED%A0%80R",
                            content_type="application/x-www-form-urlencoded")
    assert surrogate.status_code == 400
    adjustments = db.session.scalars(select(BillingAdjustment).order_by(BillingAdjustment.id)).all()
    assert [(a.currency, a.amount_cents) for a in adjustments] == [("EUR", 300), ("USD", 100)]
    page = client.get(billing).data.decode()
    assert 'data-currency="USD"' in page and 'data-currency="EUR"' in page
    assert "€12.00" in page and "$41.00" in page  # approved not invoiced: 900+300 in EUR; 4000+100 in USD


# The amount as the browser sends it, percent-encoded: %ED%A0%80 is a lone surrogate (no valid UTF-8).
MONEY_REFUSED = [("1.005", "two decimal places"), ("0.001", "two decimal places"), ("15.5000001", "two decimal places"),
                 ("1E-999999999", "two decimal places"), ("99999999999", "from 0 to"), ("1e400", "from 0 to"),
                 ("9" * 5000, "from 0 to"), ("-1", "from 0 to"), ("-0.001", "from 0 to"), ("0", "More than zero"),
                 ("0.00", "More than zero"), ("NaN", ""), ("sNaN", ""), ("Infinity", ""), ("-Infinity", ""),
                 ("inf", ""), ("1%ED%A0%80", ""), ("%ED%A0%80", ""), ("", "")]


def _post_form(client, path, fields):
    body = "&".join(f"{name}={value}" for name, value in fields.items())
    return client.post(path, data=body, content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize("value,message", MONEY_REFUSED)
def test_a_payment_or_adjustment_amount_that_would_be_rounded_or_is_no_amount_is_refused_on_the_form(
        client, db, make, login_as, world, value, message):
    login_as.staff(make.staff(permissions=[MANAGE]))
    [invoice] = generate_invoices(*month_period("2026-11"), None, None).invoices
    paid = _post_form(client, f"/staff/invoices/{invoice.id}/payments",
                      {"paid_on": "2026-12-05", "amount": value, "method": "paypal", "reference": ""})
    billing = f"/staff/partners/{world['partner'].id}/billing"
    adjusted = _post_form(client, billing, {"kind": "bonus", "amount": value, "reason": "Black+Friday"})
    for answer in (paid, adjusted):
        assert answer.status_code == 400
        page = answer.get_data(as_text=True)
        assert 'name="amount"' in page and message in page
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
    assert db.session.scalar(select(func.count()).select_from(BillingAdjustment)) == 0


@pytest.mark.parametrize("value,cents", [("15.50", 1550), ("15.5", 1550), ("15.500", 1550), ("0.01", 1),
                                         ("40", 4000), (" 2.25 ", 225)])
def test_an_amount_to_the_cent_is_taken_exactly(client, db, make, login_as, world, value, cents):
    login_as.staff(make.staff(permissions=[MANAGE]))
    [invoice] = generate_invoices(*month_period("2026-11"), None, None).invoices
    paid = client.post(f"/staff/invoices/{invoice.id}/payments",
                       data={"paid_on": "2026-12-05", "amount": value, "method": "paypal", "reference": ""})
    assert paid.status_code == 302
    assert db.session.scalars(select(Payment.amount_cents)).one() == cents
    billing = f"/staff/partners/{world['partner'].id}/billing"
    assert client.post(billing, data={"kind": "bonus", "amount": value, "reason": "x"}).status_code == 302
    assert db.session.scalars(select(BillingAdjustment.amount_cents)).one() == cents


DEC_10 = datetime(2026, 12, 10, 9, tzinfo=UTC)


def test_the_console_refuses_to_invoice_a_month_that_is_not_over(client, db, make, login_as, world):
    make.conversion(world["partner"], world["offer"], at=datetime(2026, 12, 3, tzinfo=UTC), payout_cents=500)
    login_as.staff(make.staff(permissions=[MANAGE]))
    with invoicing_at(DEC_10):
        for confirmed in ("", "yes"):
            refused = client.post("/staff/invoices/run", data={"scope": "month", "month": "2026-12",
                                                               "confirmed": confirmed})
            page = refused.get_data(as_text=True)
            assert refused.status_code == 400 and "2026-12-31, which is not over yet" in page, confirmed
            assert "Create the invoices" not in page
        assert _invoice_count(db) == 0
        # The month that is over (the near miss) still runs.
        assert client.post("/staff/invoices/run", data={"scope": "month", "month": "2026-11",
                                                         "confirmed": "yes"}).status_code == 302
    assert _invoice_count(db) == 1


@pytest.mark.parametrize("end,status", [("2026-12-09", 302), ("2026-12-10", 400), ("2027-01-31", 400)])
def test_a_custom_range_in_the_console_must_have_ended(client, db, make, login_as, world, end, status):
    make.conversion(world["partner"], world["offer"], at=datetime(2026, 12, 3, tzinfo=UTC), payout_cents=500)
    login_as.staff(make.staff(permissions=[MANAGE]))
    data = {"scope": "range", "start": "2026-12-01", "end": end, "partner_id": str(world["partner"].id),
            "confirmed": "yes"}
    with invoicing_at(DEC_10):
        answer = client.post("/staff/invoices/run", data=data)
    assert answer.status_code == status
    assert _invoice_count(db) == (1 if status == 302 else 0)
    if status == 400:
        assert "not over yet" in answer.get_data(as_text=True)


def test_the_cli_refuses_a_month_that_is_not_over(app, db, world):
    runner = app.test_cli_runner()
    with invoicing_at(DEC_10):
        early = runner.invoke(args=["invoices", "run", "--month", "2026-12"])
        assert early.exit_code != 0 and "2026-12-31, which is not over yet" in early.output
        assert _invoice_count(db) == 0
        assert runner.invoke(args=["invoices", "run", "--month", "2026-11"]).exit_code == 0
    assert _invoice_count(db) == 1
    with invoicing_at(datetime(2027, 1, 1, 0, 5, tzinfo=UTC)):
        later = runner.invoke(args=["invoices", "run", "--month", "2026-12"])
    assert later.exit_code == 0 and "0 invoice(s) created" in later.output


def test_the_cli_asks_to_be_run_again_when_a_partners_period_is_not_over(app, db, make):
    """Cron runs the month just after the network's (UTC) midnight: a Los Angeles partner's November is still
    running, so the run leaves it and says so with exit status 3; the same command later invoices it."""
    angeleno = make.partner(timezone="America/Los_Angeles")
    make.conversion(angeleno, make.offer(), at=NOV, payout_cents=700)
    runner = app.test_cli_runner()
    with invoicing_at(datetime(2026, 12, 1, 0, 5, tzinfo=UTC)):
        early = runner.invoke(args=["invoices", "run", "--month", "2026-11"])
    assert early.exit_code == 3 and f"partner(s) {angeleno.id}" in early.output
    with invoicing_at(datetime(2026, 12, 1, 9, tzinfo=UTC)):
        later = runner.invoke(args=["invoices", "run", "--month", "2026-11"])
    assert later.exit_code == 0 and "1 invoice(s) created" in later.output
