"""The Network API (/api/v2): Basic auth with test and production pairs, PartnerStack's envelope and cursor
paging, partnerships (create, read, update, partner key changes that never reuse a key, archive) and groups."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.models import (AuditEvent, Conversion, NetworkApiKey, NetworkSettings, Partner, PartnerGroup,
                           PartnerKeyReservation, PostbackDelivery, Transaction)
from portal.api.network.blueprint import PUBLIC_ENDPOINTS
from portal.api.network.serialise import epoch_ms
from portal.models.base import utcnow
from portal.services import partnerships
from portal.services import transactions as transactions_service
from portal.services.conversion_status import change_status
from portal.services.intake import set_intake_token
from portal.services.key_material import generate_key
from portal.services.network_keys import SECRET_PREFIXES, issue_pair, revoke_pair

PARTNERSHIPS = "/api/v2/partnerships"
PARTNERSHIP_FIELDS = {"key", "partner_key", "email", "first_name", "last_name", "group", "tags", "manager",
                      "address", "stats", "test", "archived", "created_at", "updated_at", "joined_at"}


def basic(public_key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{public_key}:{secret}".encode()).decode()}


class Pair:
    """A key pair and a client that calls with it."""

    def __init__(self, client, mode: str) -> None:
        issued = issue_pair(mode, f"{mode} back end")
        self.client, self.key, self.secret = client, issued.key, issued.secret
        self.headers = basic(issued.key.public_key, issued.secret)

    def __call__(self, method: str, path: str, body=None, **kwargs):
        if body is not None:
            kwargs["json"] = body
        return self.client.open(path, method=method, headers=self.headers, **kwargs)


@pytest.fixture
def production(client, db):
    return Pair(client, "production")


@pytest.fixture
def test_pair(client, db):
    return Pair(client, "test")


def _mistyped(secret: str) -> str:
    """The secret with its last character changed (to one it surely is not)."""
    return secret[:-1] + ("x" if secret[-1] != "x" else "y")


def _count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _assert_envelope(response, status: int) -> dict:
    assert response.status_code == status and response.is_json
    body = response.json
    assert body["status"] == status and isinstance(body["status"], int) and isinstance(body["message"], str)
    return body


# --- credentials -------------------------------------------------------------------------------------


def test_without_credentials_the_answer_is_401_with_a_basic_challenge(client):
    response = client.get(PARTNERSHIPS)
    body = _assert_envelope(response, 401)
    assert "HTTP Basic" in body["message"] and "data" not in body
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")


def test_wrong_malformed_unknown_and_revoked_credentials_are_401(client, production, db):
    other = issue_pair("production", "another")
    cases = [
        basic(production.key.public_key, other.secret),  # a real secret, of another pair
        basic(production.key.public_key, _mistyped(production.secret)),  # checksum fails: no query made
        basic(production.key.public_key, ""),
        basic("npk_live_nobody", production.secret),
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic éé"},  # not ASCII: base64 cannot even start
        {"Authorization": "Bearer something"},
        basic("npk_live_\x00", production.secret),
    ]
    for headers in cases:
        assert _assert_envelope(client.get(PARTNERSHIPS, headers=headers), 401)["message"] == "Invalid API credentials"
    assert production("GET", PARTNERSHIPS).status_code == 200
    revoke_pair(production.key)
    assert production("GET", PARTNERSHIPS).status_code == 401  # the very next request


def test_a_partner_api_key_is_out_of_realm_here(client, make, issue):
    key = issue(make.partner())
    for headers in ({"X-Eflow-API-Key": key}, {"X-Api-Key": key}, {"Authorization": f"Bearer {key}"},
                    basic(key, "x"), basic("npk_live_x", key)):
        assert _assert_envelope(client.get(PARTNERSHIPS, headers=headers), 403)["message"] == "Out of realm"


def test_the_secret_is_stored_only_as_a_hash_and_never_logged(client, production, db, caplog):
    row = db.session.get(NetworkApiKey, production.key.id)
    assert production.secret not in repr(vars(row)) and row.secret_hash != production.secret
    with caplog.at_level(logging.DEBUG):
        client.get(PARTNERSHIPS, headers=basic(production.key.public_key, _mistyped(production.secret)))
        logging.getLogger("werkzeug").info("GET /api/v2/partnerships Authorization: %s",
                                           production.headers["Authorization"])
    assert production.secret not in caplog.text
    assert production.headers["Authorization"].split()[1] not in caplog.text


def test_use_stamps_the_pair_at_most_once_a_minute(production, db):
    assert production("GET", PARTNERSHIPS).status_code == 200
    first = db.session.get(NetworkApiKey, production.key.id).last_used_at
    assert first is not None
    production("GET", PARTNERSHIPS)
    db.session.expire_all()
    assert db.session.get(NetworkApiKey, production.key.id).last_used_at == first


# --- envelope and errors -------------------------------------------------------------------------------


def test_every_error_uses_the_envelope_with_an_integer_status(production):
    _assert_envelope(production("GET", "/api/v2/nothing-here"), 404)
    _assert_envelope(production("PUT", PARTNERSHIPS), 405)
    _assert_envelope(production("GET", f"{PARTNERSHIPS}/part_unknown"), 404)
    assert "part_unknown" in production("GET", f"{PARTNERSHIPS}/part_unknown").json["message"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"data": "{not json", "content_type": "application/json"}, "body: must be JSON"),
    ({"data": "email=a@b.c", "content_type": "application/x-www-form-urlencoded"}, "body: must be JSON"),
    ({"json": ["a@b.c"]}, "body: must be a JSON object"),
])
def test_a_body_that_is_not_a_json_object_is_a_400(production, db, kwargs, message):
    response = production.client.post(PARTNERSHIPS, headers=production.headers, **kwargs)
    assert _assert_envelope(response, 400)["message"].startswith(message)
    assert _count(db, Partner) == 1  # gstest only


@pytest.mark.parametrize(("raw", "message"), [
    ("[" * 100_000 + "]" * 100_000, "body: must be JSON"),  # nested deeper than the parser can follow
    ('{"email": "a\\ud800@example.com"}', "email: must be valid text"),
    ('{"email": "a@example.com", "tags": ["x\\u0000y"]}', "tags: text must not contain NUL"),
])
def test_bodies_that_cannot_be_stored_are_400s(production, db, raw, message):
    response = production.client.post(PARTNERSHIPS, headers=production.headers, data=raw,
                                      content_type="application/json")
    assert _assert_envelope(response, 400)["message"].startswith(message)
    assert _count(db, Partner) == 1


def test_a_database_outage_is_a_503_in_the_envelope(app_without_database):
    client = app_without_database.test_client()
    # A malformed secret is refused before any query, so even without a database it is a plain 401.
    _assert_envelope(client.get(PARTNERSHIPS, headers=basic("npk_live_x", "not-a-secret")), 401)
    down = client.get(PARTNERSHIPS, headers=basic("npk_live_x", _well_formed_secret()))
    assert _assert_envelope(down, 503)["message"].startswith("Service unavailable")
    assert down.headers["Retry-After"] == "30"


def _well_formed_secret() -> str:
    """A production secret that passes the checksum (so the lookup runs) and that no pair has."""
    return generate_key(SECRET_PREFIXES["production"])


# --- partnerships: create --------------------------------------------------------------------------------


def test_create_returns_the_partnership_and_generates_the_partner_key_from_the_names(production, db):
    response = production("POST", PARTNERSHIPS, {"email": "Jose@Example.com", "first_name": "José",
                                                 "last_name": "Müller", "tags": ["podcast", "podcast", "eu"]})
    data = _assert_envelope(response, 200)["data"]
    assert set(data) == PARTNERSHIP_FIELDS
    assert data["key"].startswith("part_") and data["partner_key"] == "josemuller"
    assert (data["email"], data["first_name"], data["last_name"], data["tags"], data["test"], data["archived"]) == (
        "Jose@example.com", "José", "Müller", ["podcast", "eu"], False, False)
    assert data["group"]["slug"] == "default" and data["stats"] == {"CUSTOMER_COUNT": 0}
    assert isinstance(data["created_at"], int) and data["created_at"] > 1_700_000_000_000  # milliseconds
    again = production("POST", PARTNERSHIPS, {"email": "other@example.com", "first_name": "Jose", "last_name": "Muller"})
    assert again.json["data"]["partner_key"] == "josemuller1"  # a collision gets a numeric suffix
    nameless = production("POST", PARTNERSHIPS, {"email": "widget@example.com"}).json["data"]["partner_key"]
    assert len(nameless) == 10 and nameless.isalnum()
    row = db.session.scalar(select(Partner).where(Partner.partnership_key == data["key"]))
    assert row.is_test is False
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "partner.created",
                                                       AuditEvent.target_id == str(row.id)))
    assert (event.actor_type, event.actor_id, event.actor_label) == (
        "network_api", production.key.id, production.key.public_key)


@pytest.mark.parametrize(("body", "status", "message"), [
    ({}, 400, "email: required"),
    ({"email": "not-an-address"}, 400, "email: not a valid email address"),
    ({"email": 7}, 400, "email: an email address"),
    ({"email": "a@example.com", "first_name": "x" * 51}, 400, "first_name: text of at most 50"),
    ({"email": "a@example.com", "tags": "vip"}, 400, "tags: a list"),
    ({"email": "a@example.com", "tags": [""]}, 400, "tags: each tag"),
    ({"email": "a@example.com", "group_key": "grup_nope"}, 400, "group_key: no group has this key"),
    ({"email": "a@example.com", "partner_key": "Bad Key"}, 400, "partner_key: 2–80 characters"),
    ({"email": "a@example.com", "partner_key": "acme\n"}, 400, "partner_key: 2–80 characters"),
    ({"email": "a@example.com", "partner_key": "gstest"}, 409, "partner_key: 'gstest' is taken"),
])
def test_bad_create_bodies_name_the_field_and_write_nothing(production, db, body, status, message):
    before = _count(db, Partner), _count(db, PartnerKeyReservation), _count(db, AuditEvent)
    response = production("POST", PARTNERSHIPS, body)
    assert _assert_envelope(response, status)["message"].startswith(message)
    assert (_count(db, Partner), _count(db, PartnerKeyReservation), _count(db, AuditEvent)) == before


def test_server_fields_in_a_body_are_ignored(production, db):
    data = production("POST", PARTNERSHIPS, {"email": "a@example.com", "key": "part_mine", "test": True,
                                             "is_test": True, "archived": True, "created_at": 0}).json["data"]
    assert data["key"] != "part_mine" and data["test"] is False and data["archived"] is False
    assert data["created_at"] > 0


# --- test and production pairs ------------------------------------------------------------------------------


def test_each_pair_sees_and_touches_only_partnerships_of_its_own_mode(production, test_pair, make, db):
    live = make.partner()
    made_by_test = test_pair("POST", PARTNERSHIPS, {"email": "t@example.com", "first_name": "Tess"}).json["data"]
    assert made_by_test["test"] is True

    test_keys = {item["key"] for item in test_pair("GET", PARTNERSHIPS).json["data"]["items"]}
    live_keys = {item["key"] for item in production("GET", PARTNERSHIPS).json["data"]["items"]}
    assert test_keys == {"part_gstest", made_by_test["key"]}
    assert live_keys == {live.partnership_key}

    for method, body in (("GET", None), ("PATCH", {"first_name": "Hacked"}), ("DELETE", None)):
        assert test_pair(method, f"{PARTNERSHIPS}/{live.partnership_key}", body).status_code == 404
        assert production(method, f"{PARTNERSHIPS}/{made_by_test['key']}", body).status_code == 404
    db.session.expire_all()
    assert live.first_name != "Hacked" and live.archived_at is None


# --- partnerships: read, update, archive ------------------------------------------------------------------


def test_get_update_and_change_the_partner_key_for_good(production, db, make):
    made = production("POST", PARTNERSHIPS, {"email": "a@example.com", "first_name": "Ann", "last_name": "Lee"})
    key = made.json["data"]["key"]
    assert production("GET", f"{PARTNERSHIPS}/{key}").json["data"] == made.json["data"]

    vip = PartnerGroup(key="grup_vip000000000000", name="VIP", slug="vip")
    db.session.add(vip)
    db.session.commit()
    updated = production("PATCH", f"{PARTNERSHIPS}/{key}", {"last_name": "Li", "group_key": vip.key,
                                                            "tags": ["gold"], "partner_key": "ann-l"})
    data = _assert_envelope(updated, 200)["data"]
    assert (data["last_name"], data["group"]["slug"], data["tags"], data["partner_key"], data["first_name"]) == (
        "Li", "vip", ["gold"], "ann-l", "Ann")
    assert data["updated_at"] >= made.json["data"]["updated_at"]

    # The old key stays reserved for good: nobody gets it, not even through a new partnership.
    other = make.partner()
    refused = production("PATCH", f"{PARTNERSHIPS}/{other.partnership_key}", {"partner_key": "annlee"})
    assert _assert_envelope(refused, 409)["message"] == (
        "partner_key: 'annlee' is taken or was used before and cannot be reused")
    assert production("POST", PARTNERSHIPS, {"email": "b@example.com", "partner_key": "annlee"}).status_code == 409
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == str(
        db.session.scalar(select(Partner.id).where(Partner.partnership_key == key))))))
    assert {"partner.created", "partnership.updated", "partner.key_changed"} <= actions


def test_a_refused_update_changes_nothing(production, db, make):
    row = make.partner(email="keep@example.com")
    before = (row.first_name, row.email, row.partner_key)
    for body, status in (({"first_name": "New", "partner_key": "gstest"}, 409),
                         ({"first_name": "New", "email": "broken"}, 400),
                         ({"first_name": "New", "group_key": "grup_none"}, 400)):
        assert production("PATCH", f"{PARTNERSHIPS}/{row.partnership_key}", body).status_code == status
        db.session.expire_all()
        assert (row.first_name, row.email, row.partner_key) == before


def test_delete_archives_the_partnership_and_lists_leave_it_out(production, db, make):
    row = make.partner()
    archived = production("DELETE", f"{PARTNERSHIPS}/{row.partnership_key}")
    assert _assert_envelope(archived, 200)["data"]["archived"] is True
    assert production("DELETE", f"{PARTNERSHIPS}/{row.partnership_key}").status_code == 200  # again: no change
    assert production("GET", PARTNERSHIPS).json["data"]["items"] == []
    listed = production("GET", f"{PARTNERSHIPS}?include_archived=true").json["data"]["items"]
    assert [item["key"] for item in listed] == [row.partnership_key]
    assert production("GET", f"{PARTNERSHIPS}/{row.partnership_key}").json["data"]["archived"] is True
    assert db.session.get(Partner, row.id) is not None  # kept, with everything it has
    assert _count(db, AuditEvent) and db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "partnership.archived")) == 1


# --- paging and filters -------------------------------------------------------------------------------------


@pytest.fixture
def many(make, db):
    """25 production partnerships created a minute apart, oldest first."""
    start = utcnow() - timedelta(days=1)
    rows = [make.partner() for _ in range(25)]
    for n, row in enumerate(rows):
        row.created_at = row.updated_at = start + timedelta(minutes=n)
    db.session.commit()
    return [row.partnership_key for row in rows]


def test_cursor_paging_walks_every_item_once_newest_first_and_back(production, many):
    seen, cursor, pages = [], None, []
    while True:
        query = f"{PARTNERSHIPS}?limit=10" + (f"&starting_after={cursor}" if cursor else "")
        data = production("GET", query).json["data"]
        pages.append(data["has_more"])
        seen += [item["key"] for item in data["items"]]
        if not data["has_more"]:
            break
        cursor = data["items"][-1]["key"]
    assert seen == list(reversed(many)) and pages == [True, True, False]

    back = production("GET", f"{PARTNERSHIPS}?limit=10&ending_before={seen[20]}").json["data"]
    assert [item["key"] for item in back["items"]] == seen[10:20] and back["has_more"] is True
    first = production("GET", f"{PARTNERSHIPS}?limit=10&ending_before={seen[10]}").json["data"]
    assert [item["key"] for item in first["items"]] == seen[:10] and first["has_more"] is False
    assert len(production("GET", PARTNERSHIPS).json["data"]["items"]) == 10  # the default limit


def test_time_filters_are_epoch_milliseconds(production, many, db):
    rows = {row.partnership_key: row for row in db.session.scalars(select(Partner))}
    since = int(rows[many[20]].created_at.timestamp() * 1000)
    data = production("GET", f"{PARTNERSHIPS}?limit=250&min_created={since}").json["data"]
    assert [item["key"] for item in data["items"]] == list(reversed(many[20:]))
    until = int(rows[many[2]].updated_at.timestamp() * 1000)
    data = production("GET", f"{PARTNERSHIPS}?limit=250&max_updated={until}").json["data"]
    assert [item["key"] for item in data["items"]] == list(reversed(many[:3]))


@pytest.mark.parametrize(("query", "message"), [
    ("limit=0", "limit: must be a whole number from 1 to 250"),
    ("limit=251", "limit: must be a whole number from 1 to 250"),
    ("limit=ten", "limit: must be a whole number"),
    ("starting_after=part_a&ending_before=part_b", "starting_after: cannot be combined with ending_before"),
    ("starting_after=part_unknown", "starting_after: no item in this list has this key"),
    ("ending_before=" + "x" * 300, "ending_before: text of at most 255 characters"),
    ("min_created=yesterday", "min_created: must be a whole number"),
    ("max_updated=-5", "max_updated: must be a time in epoch milliseconds"),
    ("max_created=99999999999999999999", "max_created: must be a time in epoch milliseconds"),
    ("include_archived=maybe", "include_archived: true or false"),
    ("include_archived=", "include_archived: true or false"),  # given but empty (found by the fuzzer)
    ("min_updated=", "min_updated: must be a whole number"),
])
def test_bad_list_parameters_are_400s_that_name_them(production, query, message):
    assert _assert_envelope(production("GET", f"{PARTNERSHIPS}?{query}"), 400)["message"].startswith(message)


def test_a_cursor_from_the_other_mode_is_unknown(production, test_pair, make):
    live = make.partner()
    response = test_pair("GET", f"{PARTNERSHIPS}?starting_after={live.partnership_key}")
    assert _assert_envelope(response, 400)["message"] == "starting_after: no item in this list has this key"


def test_filters_by_partner_key_email_and_group(production, make, db):
    vip = PartnerGroup(key="grup_vip111111111111", name="VIP", slug="vip")
    db.session.add(vip)
    db.session.commit()
    a = make.partner(email="a@example.com")
    b = make.partner(email="b@example.com", group_id=vip.id)

    def keys(query):
        return [item["key"] for item in production("GET", f"{PARTNERSHIPS}?{query}").json["data"]["items"]]

    assert keys(f"partner_key={a.partner_key}") == [a.partnership_key]
    assert keys("email=b@example.com") == [b.partnership_key]
    assert keys(f"group_key={vip.key}") == [b.partnership_key]


# --- groups ---------------------------------------------------------------------------------------------------


def test_groups_list_the_default_group_and_the_others(production, db):
    db.session.add(PartnerGroup(key="grup_vip222222222222", name="VIP", slug="vip"))
    db.session.commit()
    items = _assert_envelope(production("GET", "/api/v2/groups"), 200)["data"]["items"]
    assert {(item["slug"], item["default"]) for item in items} == {("default", True), ("vip", False)}
    assert set(items[0]) == {"key", "name", "slug", "default", "created_at", "updated_at"}


# --- customers -------------------------------------------------------------------------------------------------

CUSTOMERS = "/api/v2/customers"
CUSTOMER_FIELDS = {"key", "customer_key", "email", "name", "partner_key", "partnership_key", "provider_key",
                   "meta", "test", "archived", "created_at", "updated_at"}


def test_customers_are_created_under_a_partnership_and_counted_there(production, make, db):
    partner = make.partner()
    created = production("POST", CUSTOMERS, {"customer_key": "crm-001", "email": "buyer@example.com",
                                              "partner_key": partner.partner_key, "name": "Buyer Inc",
                                              "meta": {"plan": "pro", "seats": 5}})
    data = _assert_envelope(created, 200)["data"]
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
    assert _assert_envelope(refused, 400)["message"].startswith("partner_key: no test partnership")
    refused = production("POST", CUSTOMERS, {"customer_key": "p-1", "email": "p@example.com",
                                             "partner_key": "gstest"})
    assert _assert_envelope(refused, 400)["message"].startswith("partner_key: no production partnership")
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
    before = _count(db, AuditEvent)
    response = production.client.post(CUSTOMERS, headers=production.headers,
                                      data=json.dumps({**base, **change}),
                                      content_type="application/json")
    assert _assert_envelope(response, status)["message"].startswith(message)
    assert len(production("GET", CUSTOMERS).json["data"]["items"]) == 1 and _count(db, AuditEvent) == before


def test_a_customer_stays_with_its_partnership(production, make, db):
    first, second = make.partner(), make.partner()
    key = production("POST", CUSTOMERS, {"customer_key": "c-1", "email": "c@example.com",
                                         "partner_key": first.partner_key}).json["data"]["key"]
    moved = production("PATCH", f"{CUSTOMERS}/{key}", {"partner_key": second.partner_key, "name": "New"})
    assert _assert_envelope(moved, 400)["message"].startswith("partner_key: a customer stays")
    data = production("GET", f"{CUSTOMERS}/{key}").json["data"]
    assert (data["partner_key"], data["name"]) == (first.partner_key, None)
    same = production("PATCH", f"{CUSTOMERS}/{key}", {"partner_key": first.partner_key, "name": "Kept"})
    assert same.status_code == 200 and same.json["data"]["name"] == "Kept"


def test_every_network_api_route_refuses_missing_and_partner_credentials(app, client, make, issue, db):
    """Walk the URL map: every /api/v2 rule and method, without credentials and with a partner's key."""
    partner_key = issue(make.partner())
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/api/v2/") and rule.endpoint not in PUBLIC_ENDPOINTS]
    assert len(rules) >= 5
    before = (_count(db, Partner), _count(db, AuditEvent))
    for rule in rules:
        path = rule.rule.replace("<key>", "part_gstest")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert _assert_envelope(client.open(path, method=method, json={}), 401), (method, path)
            refused = client.open(path, method=method, json={}, headers={"X-Eflow-API-Key": partner_key})
            assert _assert_envelope(refused, 403)["message"] == "Out of realm", (method, path)
    assert (_count(db, Partner), _count(db, AuditEvent)) == before



# --- what one mode must not do to the other, and the built-in test partner ------------------------------------


def test_a_test_pair_cannot_choose_or_change_partner_keys(test_pair, db):
    refused = test_pair("POST", PARTNERSHIPS, {"email": "t@example.com", "partner_key": "prodname"})
    assert _assert_envelope(refused, 400)["message"].startswith("partner_key: a test pair cannot choose")
    made = test_pair("POST", PARTNERSHIPS, {"email": "t@example.com", "first_name": "Jane", "last_name": "Roe"})
    data = made.json["data"]
    assert data["partner_key"] == "testjaneroe"  # a production Jane Roe still gets "janeroe"
    moved = test_pair("PATCH", f"{PARTNERSHIPS}/{data['key']}", {"partner_key": "janeroe"})
    assert _assert_envelope(moved, 400)["message"].startswith("partner_key: a test pair cannot choose")
    assert test_pair("PATCH", f"{PARTNERSHIPS}/{data['key']}", {"partner_key": "testjaneroe"}).status_code == 200
    assert db.session.get(PartnerKeyReservation, "janeroe") is None


def test_the_built_in_test_partner_keeps_its_key_and_cannot_be_archived(test_pair, db):
    archived = test_pair("DELETE", f"{PARTNERSHIPS}/part_gstest")
    assert _assert_envelope(archived, 409)["message"].startswith("partnership: the built-in test partner gstest")
    assert test_pair("PATCH", f"{PARTNERSHIPS}/part_gstest", {"partner_key": "mytest"}).status_code == 400
    assert test_pair("PATCH", f"{PARTNERSHIPS}/part_gstest", {"tags": ["qa"]}).status_code == 200
    gstest = db.session.scalar(select(Partner).where(Partner.partnership_key == "part_gstest"))
    assert (gstest.partner_key, gstest.archived_at, gstest.tags) == ("gstest", None, ["qa"])
    made = test_pair("POST", "/api/v2/customers", {"customer_key": "c", "email": "c@example.com",
                                                   "partner_key": "gstest"})
    assert made.status_code == 200


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


def test_a_generated_key_taken_a_moment_ago_is_generated_again(production, make, monkeypatch):
    taken = make.partner(first_name="Jane", last_name="Roe").partner_key  # "janeroe"
    real = partnerships.generate_partner_key
    calls = []

    def stale_then_real(first, last):
        calls.append(first)
        return taken if len(calls) == 1 else real(first, last)  # as if a concurrent create took it

    monkeypatch.setattr(partnerships, "generate_partner_key", stale_then_real)
    made = production("POST", PARTNERSHIPS, {"email": "j@example.com", "first_name": "Jane", "last_name": "Roe"})
    assert made.status_code == 200 and made.json["data"]["partner_key"] == "janeroe1" and len(calls) == 2


@pytest.mark.parametrize(("path", "status"), [
    (f"{PARTNERSHIPS}/part_%00x", 404),
    (f"{PARTNERSHIPS}?partner_key=a%00b", 400),
    (f"{PARTNERSHIPS}?starting_after=a%00b", 400),
    (f"{PARTNERSHIPS}?limit=1_0", 400),
    (f"{PARTNERSHIPS}?limit=%D9%A1%D9%A0", 400),  # Arabic-Indic digits: not a whole number here
])
def test_odd_paths_and_parameters_answer_the_same_on_every_database(production, path, status):
    _assert_envelope(production("GET", path), status)


def test_times_are_whole_milliseconds_counted_exactly():
    at = datetime(1987, 1, 7, 4, 21, 30, 606000, tzinfo=UTC)
    assert epoch_ms(at) == 536_991_690_606  # int(at.timestamp() * 1000) gives …605


# --- transactions and rewards ------------------------------------------------------------------------------------

TRANSACTIONS = "/api/v2/transactions"


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
    data = _assert_envelope(created, 200)["data"]
    assert (data["key"], data["amount"], data["currency"], data["customer_key"], data["category_key"],
            data["test"], data["partner_key"]) == (
        "inv-2026-001", 12_000, "USD", shop["customer"]["key"], "annual", False, shop["partner"].partner_key)
    conversion = db.session.scalar(select(Conversion).where(Conversion.conversion_id == data["conversion_id"]))
    assert (conversion.partner_id, conversion.offer_id, conversion.sale_amount_cents, conversion.payout_cents,
            conversion.is_test, conversion.order_id) == (
        shop["partner"].id, shop["offer"].id, 12_000, 1_200, False, "inv-2026-001")
    assert _count(db, PostbackDelivery) == 1  # the partner's postback is on its way

    again = production("POST", TRANSACTIONS, body)  # a retry of the same request: nothing new
    assert again.status_code == 200 and again.json["data"] == data
    assert (_count(db, Conversion), _count(db, PostbackDelivery)) == (1, 1)
    clash = production("POST", TRANSACTIONS, {**body, "amount": 99})
    assert _assert_envelope(clash, 409)["message"].startswith("key: already names another transaction")

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
    data = _assert_envelope(made, 200)["data"]
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
    assert _assert_envelope(refused, 400)["message"].startswith("customer_key: no test customer")
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
    assert _assert_envelope(response, status)["message"].startswith(message)
    assert (_count(db, Transaction), _count(db, Conversion), _count(db, PostbackDelivery)) == (0, 0, 0)


def test_without_the_networks_offer_a_transaction_must_name_one(production, shop, db):
    db.session.get(NetworkSettings, 1).network_api_offer_id = None
    db.session.commit()
    body = {"customer_external_key": "crm-9", "amount": 100, "currency": "USD"}
    refused = production("POST", TRANSACTIONS, body)
    assert _assert_envelope(refused, 400)["message"].startswith("offer_id: required: this network has chosen")
    named = production("POST", TRANSACTIONS, {**body, "offer_id": shop["offer"].id, "product_key": "42"})
    assert named.status_code == 200 and named.json["data"]["product_key"] == "42"  # a product id, kept as given


def test_a_key_with_slashes_and_a_long_one_are_found_again(production, shop, db):
    for key in ("inv/2026/0001", "k" * 255):
        made = production("POST", TRANSACTIONS, {"customer_key": shop["customer"]["key"], "amount": 100,
                                                 "currency": "USD", "key": key})
        assert made.status_code == 200
        assert production("GET", f"{TRANSACTIONS}/{key}").json["data"]["key"] == key
    assert _count(db, Conversion) == 2


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
    assert (_count(db, Conversion), _count(db, Transaction)) == (1, 0)
    clash = production("POST", TRANSACTIONS, {**body, "offer_id": other.id})
    assert _assert_envelope(clash, 409)["message"].startswith("key: already names another transaction")
    finished = production("POST", TRANSACTIONS, body)
    assert finished.status_code == 200
    assert (_count(db, Conversion), _count(db, Transaction), _count(db, PostbackDelivery)) == (1, 1, 1)
    again_elsewhere = production("POST", TRANSACTIONS, {**body, "offer_id": other.id})
    assert again_elsewhere.status_code == 409 and _count(db, Conversion) == 1


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
    assert conversion.sale_amount_cents == 100 and _count(db, Conversion) == 2


def test_archived_partnerships_and_inactive_offers_take_no_transactions(production, shop, db):
    body = {"customer_external_key": "crm-9", "amount": 100, "currency": "USD"}
    shop["offer"].status = "paused"
    db.session.commit()
    paused = production("POST", TRANSACTIONS, body)
    assert _assert_envelope(paused, 400)["message"] == (
        f"offer_id: offer {shop['offer'].id} is paused and takes no transactions")
    shop["offer"].status = "active"
    db.session.commit()
    production("DELETE", f"{PARTNERSHIPS}/{shop['partner'].partnership_key}")
    archived = production("POST", TRANSACTIONS, body)
    assert _assert_envelope(archived, 400)["message"].startswith("customer_external_key: this customer's "
                                                                 "partnership is archived")
    assert _count(db, Conversion) == 0


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
