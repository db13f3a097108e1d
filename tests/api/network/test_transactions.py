"""Transactions become conversions that fire postbacks; rewards list what they earned and follow status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Conversion, NetworkSettings, Partner, PostbackDelivery, Transaction
from portal.services import transactions as transactions_service
from portal.services.conversion_status import change_status
from portal.services.intake import set_intake_token
from portal.services.invoices import void_invoice
from portal.services.payments import record_payment
from tests.api.network.conftest import PARTNERSHIPS, TRANSACTIONS, count_rows, envelope_of
from tests.invoicing import generate_invoices_after


@pytest.fixture
def shop(production, make, db):
    """A production partner with a postback, a customer of theirs, and a percent offer as the network's
    offer for Network API transactions (10 % of the amount)."""
    partner = make.partner()
    offer = make.offer(name="Subscriptions", payout_type="percent", payout_amount=1000)
    settings = db.session.get(NetworkSettings, 1)
    settings.network_api_offer_id = offer.id
    db.session.commit()
    make.server_postback(partner, url="https://tracker.example/pb?c={conversion_id}&test={is_test}")
    customer = production("POST", "/api/v2/customers", {"customer_key": "crm-9", "email": "buyer@example.com",
                                                        "partner_key": partner.partner_key}).json["data"]
    return {"partner": partner, "offer": offer, "customer": customer}


def test_a_transaction_becomes_a_conversion_that_fires_postbacks_and_earns_a_reward(production, shop, db):
    body = {"customer_external_key": "crm-9", "amount": 12_000, "currency": "usd", "key": "inv-2026-001",
            "category_key": "annual"}
    created = production("POST", TRANSACTIONS, body)
    data = envelope_of(created, 200)["data"]
    assert (data["key"], data["amount"], data["currency"], data["customer_key"], data["category_key"],
            data["test"], data["partner_key"]) == (
        "inv-2026-001", 12_000, "USD", shop["customer"]["key"], "annual", False, shop["partner"].partner_key)
    conversion = db.session.scalar(select(Conversion).where(Conversion.conversion_id == data["conversion_id"]))
    assert (conversion.partner_id, conversion.offer_id, conversion.sale_amount_cents, conversion.payout_cents,
            conversion.is_test, conversion.order_id) == (
        shop["partner"].id, shop["offer"].id, 12_000, 1_200, False, "inv-2026-001")
    assert count_rows(db, PostbackDelivery) == 1  # the partner's postback is on its way

    again = production("POST", TRANSACTIONS, body)  # a retry of the same request: nothing new
    assert again.status_code == 200 and again.json["data"] == data
    assert (count_rows(db, Conversion), count_rows(db, PostbackDelivery)) == (1, 1)
    clash = production("POST", TRANSACTIONS, {**body, "amount": 99})
    assert envelope_of(clash, 409)["message"].startswith("key: already names another transaction")

    assert production("GET", f"{TRANSACTIONS}/inv-2026-001").json["data"] == data
    assert [t["key"] for t in production("GET", TRANSACTIONS).json["data"]["items"]] == ["inv-2026-001"]
    (reward,) = production("GET", "/api/v2/rewards").json["data"]["items"]
    assert (reward["amount"], reward["currency"], reward["reward_status"], reward["transaction"]["key"],
            reward["partnership"]["partner_key"]) == (1_200, "USD", "approved", "inv-2026-001",
                                                      shop["partner"].partner_key)
    assert reward["key"].startswith("rwrd_")
    assert production("GET", "/api/v2/rewards?status=declined").json["data"]["items"] == []
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "transaction.created"))
    assert event.actor_id == production.key.id and event.detail["amount"] == 12_000


def test_a_test_transaction_earns_nothing_but_fires_postbacks_marked_as_test(test_pair, make, db):
    gstest = db.session.scalar(select(Partner).where(Partner.partner_key == "gstest"))
    offer = make.offer(name="Trial", payout_amount=700)
    make.server_postback(gstest, url="https://tracker.example/pb?test={is_test}")
    test_pair("POST", "/api/v2/customers", {"customer_key": "t-1", "email": "t@example.com", "partner_key": "gstest"})
    made = test_pair("POST", TRANSACTIONS, {"customer_external_key": "t-1", "amount": 5000, "currency": "USD",
                                            "offer_id": offer.id, "product_key": "sku-1"})
    data = envelope_of(made, 200)["data"]
    assert data["test"] is True and data["key"].startswith("txn_") and data["product_key"] == "sku-1"
    conversion = db.session.scalar(select(Conversion).where(Conversion.conversion_id == data["conversion_id"]))
    assert (conversion.is_test, conversion.payout_cents, conversion.network_revenue_cents) == (True, 0, 0)
    delivery = db.session.scalars(select(PostbackDelivery)).one()
    assert delivery.is_test is True
    assert test_pair("GET", "/api/v2/rewards").json["data"]["items"] == []  # test transactions never earn


def test_each_pair_records_and_reads_transactions_of_its_own_mode_only(production, test_pair, shop, db):
    test_pair("POST", "/api/v2/customers", {"customer_key": "crm-9", "email": "t@example.com", "partner_key": "gstest"})
    body = {"customer_external_key": "crm-9", "amount": 100, "currency": "USD", "key": "same-key",
            "offer_id": shop["offer"].id}
    live = production("POST", TRANSACTIONS, body).json["data"]
    trial = test_pair("POST", TRANSACTIONS, body).json["data"]
    assert (live["test"], trial["test"]) == (False, True) and live["conversion_id"] != trial["conversion_id"]
    assert live["customer_key"] == shop["customer"]["key"] != trial["customer_key"]
    refused = test_pair("POST", TRANSACTIONS, {**body, "key": "k2", "customer_external_key": None,
                                               "customer_key": shop["customer"]["key"]})
    assert envelope_of(refused, 400)["message"].startswith("customer_key: no test customer")
    assert [t["conversion_id"] for t in test_pair("GET", TRANSACTIONS).json["data"]["items"]] == [
        trial["conversion_id"]]
    assert test_pair("GET", f"{TRANSACTIONS}/same-key").json["data"]["conversion_id"] == trial["conversion_id"]


@pytest.mark.parametrize(("change", "status", "message"), [
    ({"customer_external_key": None}, 400, "customer_key: give exactly one of"),
    ({"customer_email": "buyer@example.com"}, 400, "customer_key: give exactly one of"),
    ({"customer_external_key": "nobody"}, 400, "customer_external_key: no production customer"),
    ({"amount": None}, 400, "amount: required"),
    ({"amount": "100"}, 400, "amount: required: a whole number of cents"),
    ({"amount": 1.5}, 400, "amount: required: a whole number of cents"),
    ({"amount": -100}, 400, "amount: refunds (negative amounts) are not supported yet"),
    ({"amount": 50_000_000_001}, 400, "amount: at most"),
    ({"currency": "dollars"}, 400, "currency: required: a 3-letter"),
    ({"currency": "EUR"}, 400, "currency: offer"),
    ({"key": "abc"}, 400, "key: text of 4 to 255"),
    ({"offer_id": 999999}, 400, "offer_id: no offer has id 999999"),
    ({"offer_id": "12"}, 400, "offer_id: an offer's id"),
    ({"key": "ab\x00cd"}, 400, "key: text must not contain NUL"),
])
def test_bad_transactions_name_the_field_and_record_nothing(production, shop, db, change, status, message):
    body = {"customer_external_key": "crm-9", "amount": 100, "currency": "USD", **change}
    response = production("POST", TRANSACTIONS, body)
    assert envelope_of(response, status)["message"].startswith(message)
    assert (count_rows(db, Transaction), count_rows(db, Conversion), count_rows(db, PostbackDelivery)) == (0, 0, 0)


def test_without_the_networks_offer_a_transaction_must_name_one(production, shop, db):
    db.session.get(NetworkSettings, 1).network_api_offer_id = None
    db.session.commit()
    body = {"customer_external_key": "crm-9", "amount": 100, "currency": "USD"}
    refused = production("POST", TRANSACTIONS, body)
    assert envelope_of(refused, 400)["message"].startswith("offer_id: required: this network has chosen")
    named = production("POST", TRANSACTIONS, {**body, "offer_id": shop["offer"].id, "product_key": "42"})
    assert named.status_code == 200 and named.json["data"]["product_key"] == "42"  # a product id, kept as given


def test_a_key_with_slashes_and_a_long_one_are_found_again(production, shop, db):
    for key in ("inv/2026/0001", "k" * 255):
        made = production("POST", TRANSACTIONS, {"customer_key": shop["customer"]["key"], "amount": 100,
                                                 "currency": "USD", "key": key})
        assert made.status_code == 200
        assert production("GET", f"{TRANSACTIONS}/{key}").json["data"]["key"] == key
    assert count_rows(db, Conversion) == 2


def test_a_retry_naming_another_offer_is_a_conflict_not_a_second_conversion(production, shop, make, db,
                                                                           monkeypatch):
    """The conversion is committed before the transaction row; a request that dies in between is finished
    by its retry, and a retry with other values cannot make a second, paid conversion."""
    other = make.offer(name="Other", payout_amount=900)
    body = {"customer_external_key": "crm-9", "amount": 10_000, "currency": "USD", "key": "inv-crash"}

    def die(*args, **kwargs):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(transactions_service.audit, "record", die)  # after the conversion's commit
    with pytest.raises(RuntimeError):
        production.client.post(TRANSACTIONS, headers=production.headers, json=body)
    monkeypatch.undo()
    db.session.rollback()
    assert (count_rows(db, Conversion), count_rows(db, Transaction)) == (1, 0)
    clash = production("POST", TRANSACTIONS, {**body, "offer_id": other.id})
    assert envelope_of(clash, 409)["message"].startswith("key: already names another transaction")
    finished = production("POST", TRANSACTIONS, body)
    assert finished.status_code == 200
    assert (count_rows(db, Conversion), count_rows(db, Transaction), count_rows(db, PostbackDelivery)) == (1, 1, 1)
    again_elsewhere = production("POST", TRANSACTIONS, {**body, "offer_id": other.id})
    assert again_elsewhere.status_code == 409 and count_rows(db, Conversion) == 1


def test_a_public_postback_cannot_forge_a_transactions_conversion(production, shop, client, db):
    """Conversions of transactions live in their own namespace: an intake postback with any order id
    stays a conversion of its own and never becomes a transaction's."""
    token = set_intake_token()
    forged = client.post("/postback", data={"token": token, "affiliate_id": shop["partner"].id,
                                            "offer_id": shop["offer"].id, "order_id": "inv-77",
                                            "sale_amount": "500.00"})
    assert forged.status_code in (200, 201)
    made = production("POST", TRANSACTIONS, {"customer_external_key": "crm-9", "amount": 100, "currency": "USD",
                                             "key": "inv-77"}).json["data"]
    conversion = db.session.scalar(select(Conversion).where(Conversion.conversion_id == made["conversion_id"]))
    assert conversion.sale_amount_cents == 100 and count_rows(db, Conversion) == 2


def test_archived_partnerships_and_inactive_offers_take_no_transactions(production, shop, db):
    body = {"customer_external_key": "crm-9", "amount": 100, "currency": "USD"}
    shop["offer"].status = "paused"
    db.session.commit()
    paused = production("POST", TRANSACTIONS, body)
    assert envelope_of(paused, 400)["message"] == (
        f"offer_id: offer {shop['offer'].id} is paused and takes no transactions")
    shop["offer"].status = "active"
    db.session.commit()
    production("DELETE", f"{PARTNERSHIPS}/{shop['partner'].partnership_key}")
    archived = production("POST", TRANSACTIONS, body)
    assert envelope_of(archived, 400)["message"].startswith("customer_external_key: this customer's "
                                                                 "partnership is archived")
    assert count_rows(db, Conversion) == 0


def test_customers_are_found_by_their_email_as_stored(production, shop):
    body = {"customer_email": " buyer@EXAMPLE.com", "amount": 100, "currency": "USD"}  # the domain normalised
    assert production("POST", TRANSACTIONS, body).status_code == 200


def test_a_reward_follows_its_conversions_status_and_its_update_time(production, shop, db, make):
    data = production("POST", TRANSACTIONS, {"customer_external_key": "crm-9", "amount": 1000,
                                             "currency": "USD"}).json["data"]
    (reward,) = production("GET", "/api/v2/rewards").json["data"]["items"]
    conversion = db.session.scalar(select(Conversion).where(Conversion.conversion_id == data["conversion_id"]))
    change_status(conversion, "rejected", make.staff())
    since = reward["updated_at"] + 1
    (declined,) = production("GET", f"/api/v2/rewards?min_updated={since}").json["data"]["items"]
    assert declined["reward_status"] == "declined" and declined["updated_at"] >= since
    (changed,) = production("GET", f"{TRANSACTIONS}?min_updated={since}").json["data"]["items"]
    assert changed["approved"] is False


def test_a_reward_shows_the_invoice_it_was_billed_on_in_partnerstacks_shape(production, shop, db):
    """null until invoiced; the invoice's number, approved while unpaid, charge_succeeded with the payment's
    day once paid; null again when the invoice is voided (its conversion goes back to the next run)."""
    for key, amount in (("billed-1", 10_000), ("billed-2", 5_000)):
        production("POST", TRANSACTIONS, {"customer_external_key": "crm-9", "amount": amount, "currency": "USD",
                                          "key": key})

    def invoices() -> dict[str, dict | None]:
        return {r["transaction"]["key"]: r["invoice"] for r in production("GET", "/api/v2/rewards").json["data"][
            "items"]}

    assert invoices() == {"billed-1": None, "billed-2": None}
    today = datetime.now(UTC).date()
    [first] = generate_invoices_after(today - timedelta(days=1), today + timedelta(days=1), [shop["partner"].id]).invoices
    unpaid = {"key": first.number, "status": "approved", "payment_date": None}
    assert invoices() == {"billed-1": unpaid, "billed-2": unpaid}

    void_invoice(first.id, None)
    assert invoices() == {"billed-1": None, "billed-2": None}

    [second] = generate_invoices_after(today - timedelta(days=1), today + timedelta(days=1), [shop["partner"].id]).invoices
    assert second.number != first.number
    record_payment(second.id, date(2026, 11, 20), 1_000, "wire", "W-1", None)
    assert invoices()["billed-1"] == {"key": second.number, "status": "approved", "payment_date": None}
    record_payment(second.id, date(2026, 11, 23), second.total_cents - 1_000, "wire", "W-2", None)
    paid = {"key": second.number, "status": "charge_succeeded",
            "payment_date": int(datetime(2026, 11, 23, tzinfo=UTC).timestamp()) * 1000}
    assert invoices() == {"billed-1": paid, "billed-2": paid}


def test_a_reward_of_a_conversion_approved_after_the_run_is_not_invoiced(production, shop, db, make):
    made = production("POST", TRANSACTIONS, {"customer_external_key": "crm-9", "amount": 2_000,
                                             "currency": "USD", "key": "late"}).json["data"]
    conversion = db.session.scalar(select(Conversion).where(Conversion.conversion_id == made["conversion_id"]))
    change_status(conversion, "on_hold", make.staff())
    today = datetime.now(UTC).date()
    assert generate_invoices_after(today - timedelta(days=1), today + timedelta(days=1),
                             [shop["partner"].id]).invoices == []
    (reward,) = production("GET", "/api/v2/rewards").json["data"]["items"]
    assert reward["reward_status"] == "hold" and reward["invoice"] is None
