"""The invoice endpoints: your paid and unpaid invoices in Everflow's names, paged and filtered by status and
billed period; one invoice with its line items and payments, the same figures as the partner's invoice page;
another partner's invoice, a void one and an impossible id are a 404; bad filters are a 400 naming the field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.affiliate import AffiliateScope
from portal.affiliate.upstream.backend import UpstreamBackend
from portal.domain.billing import ListedInvoiceFilters
from portal.domain.criteria import Page
from portal.domain.errors import NotServedUpstream
from portal.services.billing_adjustments import add_adjustment
from portal.services.invoices import void_invoice
from portal.services.payments import record_payment
from tests.invoicing import generate_invoices_after

TABLE = "/v1/affiliates/billings/affiliates/invoicestable"
ONE = "/v1/affiliates/billings/affiliates/invoices/{}"


@pytest.fixture
def world(make, issue):
    offer = make.offer(name="Acme Shoes", currency="EUR")
    mine = make.partner(currency="EUR", timezone="Europe/Berlin")
    theirs = make.partner()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    for cents in (1000, 2345):
        make.conversion(mine, offer, at=yesterday, payout_cents=cents)
    make.conversion(theirs, offer, at=yesterday, payout_cents=77_700)
    add_adjustment(mine.id, "bonus", 500, "Launch week", None)
    today = datetime.now(UTC).date()
    invoices = generate_invoices_after(today - timedelta(days=3), today + timedelta(days=1), None, None).invoices
    own = next(i for i in invoices if i.partner_id == mine.id)
    foreign = next(i for i in invoices if i.partner_id == theirs.id)
    record_payment(own.id, date(2026, 11, 20), 1000, "bank_transfer", "SEPA-42", None)
    return {"mine": mine, "theirs": theirs, "own": own, "foreign": foreign, "offer": offer, "today": today,
            "key": issue(mine), "their_key": issue(theirs)}


def call(client, key, path, body=None):
    headers = {"X-Eflow-API-Key": key}
    if path.startswith(TABLE):
        return client.post(path, json=body if body is not None else {}, headers=headers)
    return client.get(path, headers=headers)


def test_the_list_is_yours_in_everflows_names(client, world):
    response = call(client, world["key"], TABLE)
    assert response.status_code == 200, response.json
    assert response.json["paging"] == {"page": 1, "page_size": 50, "total_count": 1}
    [found] = response.json["invoices"]
    own = world["own"]
    assert found["network_affiliate_invoice_id"] == own.id
    assert found["affiliate_invoice_status"] == "unpaid"
    assert found["billed"] == 38.45 and found["paid"] == 10.0 and found["balance"] == 28.45
    assert found["currency_id"] == "EUR" and found["payment_terms"] == f"Net {own.terms_days}"
    assert found["start_time"] == f"{own.period_start} 00:00:00" and found["end_time"] == f"{own.period_end} 23:59:59"
    assert found["timezone_id"] is not None and found["time_saved"] >= found["time_created"] > 0


def test_the_list_filters_by_status_and_billed_period(client, world):
    own = world["own"]

    def ids(filters):
        response = call(client, world["key"], TABLE, {"filters": filters})
        assert response.status_code == 200, response.json
        return [i["network_affiliate_invoice_id"] for i in response.json["invoices"]]

    assert ids({"affiliate_invoice_status": "unpaid"}) == [own.id]
    assert ids({"affiliate_invoice_status": "paid"}) == []
    assert ids({"affiliate_invoice_status": ""}) == [own.id]
    assert ids({"min_start_time": own.period_start.isoformat()}) == [own.id]
    assert ids({"min_start_time": (own.period_start + timedelta(days=1)).isoformat()}) == []
    assert ids({"max_end_time": own.period_end.isoformat()}) == [own.id]
    assert ids({"max_end_time": (own.period_end - timedelta(days=1)).isoformat()}) == []
    record_payment(own.id, date(2026, 11, 21), 2845, "wire", "", None)
    assert ids({"affiliate_invoice_status": "paid"}) == [own.id]


def test_the_list_is_paged_by_query_arguments(client, world):
    response = call(client, world["key"], TABLE + "?page=2&page_size=1")
    assert response.status_code == 200
    assert response.json == {"invoices": [], "paging": {"page": 2, "page_size": 1, "total_count": 1}}


@pytest.mark.parametrize(("body", "field"), [
    ({"filters": {"affiliate_invoice_status": "void"}}, "affiliate_invoice_status"),
    ({"filters": {"affiliate_invoice_status": "\ud800"}}, "affiliate_invoice_status"),
    ({"filters": {"min_start_time": "2026-02-30"}}, "min_start_time"),
    ({"filters": {"max_end_time": "20261101"}}, "max_end_time"),
    ({"filters": {"max_end_time": 20261101}}, "max_end_time"),
    ({"filters": {"min_start_time": "2026-11-02", "max_end_time": "2026-11-01"}}, "max_end_time"),
    ({"filters": {"min_balance": 10}}, "filters"),
    ({"filters": ["paid"]}, "filters"),
])
def test_bad_filters_are_a_400_naming_the_field(client, world, body, field):
    response = call(client, world["key"], TABLE, body)
    assert response.status_code == 400 and response.json["error"].startswith(f"{field}:"), response.json


def test_one_invoice_has_its_lines_and_payments(client, world):
    own = world["own"]
    response = call(client, world["key"], ONE.format(own.id))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["network_affiliate_invoice_id"] == own.id and body["balance"] == 28.45
    details = body["relationship"]["details"]
    offer_line = next(d for d in details if d["type"] == "offer")
    assert offer_line["network_offer_id"] == world["offer"].id and offer_line["network_offer_name"] == "Acme Shoes"
    assert offer_line["amount"] == offer_line["invoice_currency_amount"] == 33.45 and offer_line["quantity"] == 2
    bonus = next(d for d in details if d["type"] == "adjustment")
    assert bonus["amount"] == 5.0 and "Launch week" in bonus["notes"] and bonus["network_offer_id"] == 0
    [payment] = body["relationship"]["payments"]
    assert payment["amount"] == 10.0 and payment["confirmation_code"] == "SEPA-42"
    assert payment["payment_type"] == "bank_transfer" and payment["currency"] == "EUR"
    assert payment["unix_timestamp"] == int(datetime(2026, 11, 20, tzinfo=UTC).timestamp())


def test_the_api_and_the_invoice_page_show_the_same_figures(client, make, login_as, world):
    own = world["own"]
    listed = call(client, world["key"], TABLE).json["invoices"][0]
    detail = call(client, world["key"], ONE.format(own.id)).json
    login_as.partner(make.partner_user(world["mine"], role="admin"))
    page = client.get(f"/billing/invoices/{own.id}").data.decode()
    assert f'id="invoice-balance">€{detail["balance"]:,.2f}' in page
    assert listed["balance"] == detail["balance"] and listed["billed"] == detail["billed"]
    for line in detail["relationship"]["details"]:
        assert f"€{line['amount']:,.2f}" in page
    assert f"€{detail['billed']:,.2f}" in page


@pytest.mark.parametrize("invoice_id", ["foreign", 0, 2**31, 2**63, 10**30])
def test_another_partners_or_no_invoice_is_a_404(client, world, invoice_id):
    wanted = world["foreign"].id if invoice_id == "foreign" else invoice_id
    response = call(client, world["key"], ONE.format(wanted))
    assert response.status_code == 404 and response.json == {"error": "Not found"}


def test_a_lone_surrogate_or_junk_id_is_a_4xx(client, world):
    for junk in ("%ED%A0%80", "-1", "1e3", "x"):
        response = call(client, world["key"], ONE.format(junk))
        assert 400 <= response.status_code < 500, junk


def test_a_void_invoice_is_neither_listed_nor_found(client, world):
    """Everflow's affiliate statuses are paid and unpaid: a void invoice is the network's record only."""
    foreign = world["foreign"]
    assert call(client, world["their_key"], ONE.format(foreign.id)).status_code == 200
    void_invoice(foreign.id, None)
    assert call(client, world["their_key"], TABLE).json["invoices"] == []
    assert call(client, world["their_key"], TABLE, {"filters": {"affiliate_invoice_status": "unpaid"}}).json[
        "invoices"] == []
    assert call(client, world["their_key"], ONE.format(foreign.id)).status_code == 404


def test_the_other_partner_sees_only_its_own(client, world):
    listed = call(client, world["their_key"], TABLE).json["invoices"]
    assert [i["network_affiliate_invoice_id"] for i in listed] == [world["foreign"].id]
    # A USD partner earning on an offer that pays in EUR is invoiced in EUR: the currency it was paid in.
    assert listed[0]["currency_id"] == "EUR" and listed[0]["billed"] == 777.0


def test_the_upstream_backend_does_not_serve_the_list():
    class Partner:
        id, timezone, currency = 7, "UTC", "USD"

    scope = AffiliateScope(Partner(), UpstreamBackend(None, 1))
    with pytest.raises(NotServedUpstream):
        scope.listed_invoices(ListedInvoiceFilters(), Page())
    with pytest.raises(NotServedUpstream):
        scope.invoice(1, listed_only=True)


SUMMARY = "/v1/affiliates/billings/affiliates/summary"


def test_the_summary_is_your_balances_per_currency_as_the_billing_page_shows(client, make, login_as, world):
    mine = world["mine"]
    make.conversion(mine, make.offer(currency="USD"), payout_cents=1_234, status="pending")
    headers = {"X-Eflow-API-Key": world["key"]}
    # What laravel-everflow sends: paging in the query string and a JSON body.
    response = client.post(f"{SUMMARY}?page=1&page_size=50", json={"page": 1}, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json == {"summary": [
        # EUR (the partner's own): 10.00 + 23.45 invoiced with a 5.00 bonus, 10.00 of it paid.
        {"currency_id": "EUR", "pending": 0.0, "approved": 0.0, "invoiced": 28.45, "paid": 10.0, "total": 38.45},
        {"currency_id": "USD", "pending": 12.34, "approved": 0.0, "invoiced": 0.0, "paid": 0.0, "total": 12.34}]}
    assert client.post(SUMMARY, headers=headers).json == response.json  # no body at all
    login_as.partner(make.partner_user(mine, role="admin"))
    page = client.get("/billing").data.decode()
    assert 'data-balance="invoiced">€28.45' in page and 'data-balance="pending">$12.34' in page


def test_the_other_partners_summary_is_its_own(client, world):
    response = client.post(SUMMARY, json={}, headers={"X-Eflow-API-Key": world["their_key"]})
    assert response.json == {"summary": [
        {"currency_id": "USD", "pending": 0.0, "approved": 0.0, "invoiced": 0.0, "paid": 0.0, "total": 0.0},
        {"currency_id": "EUR", "pending": 0.0, "approved": 0.0, "invoiced": 777.0, "paid": 0.0, "total": 777.0}]}


@pytest.mark.parametrize("body", [b"[1]", b'"x"', b"{", b"\xff\xfe"])
def test_a_summary_body_that_is_not_an_object_is_a_400(client, world, body):
    response = client.post(SUMMARY, data=body, content_type="application/json",
                           headers={"X-Eflow-API-Key": world["key"]})
    assert response.status_code == 400, response.data
