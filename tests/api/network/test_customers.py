"""Customers: created under a partnership of the same mode, counted there, checked, and kept with it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.models import AuditEvent
from tests.api.network.conftest import CUSTOMER_FIELDS, CUSTOMERS, PARTNERSHIPS, count_rows, envelope_of


def test_customers_are_created_under_a_partnership_and_counted_there(production, make, db):
    partner = make.partner()
    created = production("POST", CUSTOMERS, {"customer_key": "crm-001", "email": "buyer@example.com",
                                              "partner_key": partner.partner_key, "name": "Buyer Inc",
                                              "meta": {"plan": "pro", "seats": 5}})
    data = envelope_of(created, 200)["data"]
    assert set(data) == CUSTOMER_FIELDS and data["key"].startswith("cust_")
    assert (data["customer_key"], data["partner_key"], data["partnership_key"], data["test"], data["meta"]) == (
        "crm-001", partner.partner_key, partner.partnership_key, False, {"plan": "pro", "seats": 5})
    assert production("GET", f"{CUSTOMERS}/{data['key']}").json["data"] == data
    listed = production("GET", f"{CUSTOMERS}?partner_key={partner.partner_key}").json["data"]["items"]
    assert [item["key"] for item in listed] == [data["key"]]
    stats = production("GET", f"{PARTNERSHIPS}/{partner.partnership_key}").json["data"]["stats"]
    assert stats == {"CUSTOMER_COUNT": 1}
    assert production("GET", PARTNERSHIPS).json["data"]["items"][0]["stats"] == {"CUSTOMER_COUNT": 1}

    updated = production("PATCH", f"{CUSTOMERS}/{data['key']}", {"name": "Buyer GmbH", "provider_key": "cus_9"})
    assert (updated.json["data"]["name"], updated.json["data"]["provider_key"]) == ("Buyer GmbH", "cus_9")
    archived = production("DELETE", f"{CUSTOMERS}/{data['key']}")
    assert archived.json["data"]["archived"] is True
    assert production("GET", CUSTOMERS).json["data"]["items"] == []
    assert production("GET", f"{PARTNERSHIPS}/{partner.partnership_key}").json["data"]["stats"] == {
        "CUSTOMER_COUNT": 0}
    actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("customer.%"))
                                      .order_by(AuditEvent.id)))
    assert actions == ["customer.created", "customer.updated", "customer.archived"]


def test_test_customers_belong_to_test_partnerships_only(production, test_pair, make):
    live = make.partner()
    made = test_pair("POST", CUSTOMERS, {"customer_key": "t-1", "email": "t@example.com", "partner_key": "gstest"})
    assert made.json["data"]["test"] is True
    refused = test_pair("POST", CUSTOMERS, {"customer_key": "t-2", "email": "t@example.com",
                                            "partner_key": live.partner_key})
    assert envelope_of(refused, 400)["message"].startswith("partner_key: no test partnership")
    refused = production("POST", CUSTOMERS, {"customer_key": "p-1", "email": "p@example.com",
                                             "partner_key": "gstest"})
    assert envelope_of(refused, 400)["message"].startswith("partner_key: no production partnership")
    # Neither pair sees or touches the other mode's customers.
    assert production("GET", CUSTOMERS).json["data"]["items"] == []
    for method, body in (("GET", None), ("PATCH", {"name": "x"}), ("DELETE", None)):
        assert production(method, f"{CUSTOMERS}/{made.json['data']['key']}", body).status_code == 404


@pytest.mark.parametrize(("change", "status", "message"), [
    ({"customer_key": None}, 400, "customer_key: required"),
    ({"email": ""}, 400, "email: required"),
    ({"partner_key": None}, 400, "partner_key: required"),
    ({"email": "nope"}, 400, "email: not a valid email address"),
    ({"partner_key": "nobody"}, 400, "partner_key: no production partnership"),
    ({"customer_key": "x" * 256}, 400, "customer_key: text of 1 to 255"),
    ({"name": "n" * 101}, 400, "name: text of at most 100"),
    ({"meta": ["a"]}, 400, "meta: an object"),
    ({"meta": {"k": "v" * 101}}, 400, "meta: each value"),
    ({"meta": {"k": float("nan")}}, 400, "meta: numbers must be finite"),
    ({"customer_key": "taken"}, 409, "customer_key: 'taken' belongs to another customer"),
])
def test_bad_customer_bodies_name_the_field_and_write_nothing(production, make, db, change, status, message):
    partner = make.partner()
    base = {"customer_key": "c-1", "email": "c@example.com", "partner_key": partner.partner_key}
    assert production("POST", CUSTOMERS, {**base, "customer_key": "taken"}).status_code == 200
    before = count_rows(db, AuditEvent)
    response = production.client.post(CUSTOMERS, headers=production.headers,
                                      data=json.dumps({**base, **change}),
                                      content_type="application/json")
    assert envelope_of(response, status)["message"].startswith(message)
    assert len(production("GET", CUSTOMERS).json["data"]["items"]) == 1 and count_rows(db, AuditEvent) == before


def test_a_customer_stays_with_its_partnership(production, make, db):
    first, second = make.partner(), make.partner()
    key = production("POST", CUSTOMERS, {"customer_key": "c-1", "email": "c@example.com",
                                         "partner_key": first.partner_key}).json["data"]["key"]
    moved = production("PATCH", f"{CUSTOMERS}/{key}", {"partner_key": second.partner_key, "name": "New"})
    assert envelope_of(moved, 400)["message"].startswith("partner_key: a customer stays")
    data = production("GET", f"{CUSTOMERS}/{key}").json["data"]
    assert (data["partner_key"], data["name"]) == (first.partner_key, None)
    same = production("PATCH", f"{CUSTOMERS}/{key}", {"partner_key": first.partner_key, "name": "Kept"})
    assert same.status_code == 200 and same.json["data"]["name"] == "Kept"


def test_customer_keys_are_unique_within_a_mode_only(production, test_pair, make):
    live = make.partner()
    assert test_pair("POST", "/api/v2/customers", {"customer_key": "stripe-cus-1", "email": "t@example.com",
                                                   "partner_key": "gstest"}).status_code == 200
    # A test customer neither blocks nor reveals a production customer with the same key.
    assert production("POST", "/api/v2/customers", {"customer_key": "stripe-cus-1", "email": "p@example.com",
                                                    "partner_key": live.partner_key}).status_code == 200
    again = production("POST", "/api/v2/customers", {"customer_key": "stripe-cus-1", "email": "p@example.com",
                                                     "partner_key": live.partner_key})
    assert again.status_code == 409
