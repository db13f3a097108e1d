"""Partnerships: create, read, update, partner key changes that never reuse a key, archive; cursor paging
and filters; groups; what a test pair may not do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, Partner, PartnerGroup, PartnerKeyReservation
from portal.models.base import utcnow
from portal.services import partnerships
from tests.api.network.conftest import PARTNERSHIP_FIELDS, PARTNERSHIPS, count_rows, envelope_of


def test_create_returns_the_partnership_and_generates_the_partner_key_from_the_names(production, db):
    response = production("POST", PARTNERSHIPS, {"email": "Jose@Example.com", "first_name": "José",
                                                 "last_name": "Müller", "tags": ["podcast", "podcast", "eu"]})
    data = envelope_of(response, 200)["data"]
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
    before = count_rows(db, Partner), count_rows(db, PartnerKeyReservation), count_rows(db, AuditEvent)
    response = production("POST", PARTNERSHIPS, body)
    assert envelope_of(response, status)["message"].startswith(message)
    assert (count_rows(db, Partner), count_rows(db, PartnerKeyReservation), count_rows(db, AuditEvent)) == before


def test_server_fields_in_a_body_are_ignored(production, db):
    data = production("POST", PARTNERSHIPS, {"email": "a@example.com", "key": "part_mine", "test": True,
                                             "is_test": True, "archived": True, "created_at": 0}).json["data"]
    assert data["key"] != "part_mine" and data["test"] is False and data["archived"] is False
    assert data["created_at"] > 0


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


def test_get_update_and_change_the_partner_key_for_good(production, db, make):
    made = production("POST", PARTNERSHIPS, {"email": "a@example.com", "first_name": "Ann", "last_name": "Lee"})
    key = made.json["data"]["key"]
    assert production("GET", f"{PARTNERSHIPS}/{key}").json["data"] == made.json["data"]

    vip = PartnerGroup(key="grup_vip000000000000", name="VIP", slug="vip")
    db.session.add(vip)
    db.session.commit()
    updated = production("PATCH", f"{PARTNERSHIPS}/{key}", {"last_name": "Li", "group_key": vip.key,
                                                            "tags": ["gold"], "partner_key": "ann-l"})
    data = envelope_of(updated, 200)["data"]
    assert (data["last_name"], data["group"]["slug"], data["tags"], data["partner_key"], data["first_name"]) == (
        "Li", "vip", ["gold"], "ann-l", "Ann")
    assert data["updated_at"] >= made.json["data"]["updated_at"]

    # The old key stays reserved for good: nobody gets it, not even through a new partnership.
    other = make.partner()
    refused = production("PATCH", f"{PARTNERSHIPS}/{other.partnership_key}", {"partner_key": "annlee"})
    assert envelope_of(refused, 409)["message"] == (
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
    assert envelope_of(archived, 200)["data"]["archived"] is True
    assert production("DELETE", f"{PARTNERSHIPS}/{row.partnership_key}").status_code == 200  # again: no change
    assert production("GET", PARTNERSHIPS).json["data"]["items"] == []
    listed = production("GET", f"{PARTNERSHIPS}?include_archived=true").json["data"]["items"]
    assert [item["key"] for item in listed] == [row.partnership_key]
    assert production("GET", f"{PARTNERSHIPS}/{row.partnership_key}").json["data"]["archived"] is True
    assert db.session.get(Partner, row.id) is not None  # kept, with everything it has
    assert count_rows(db, AuditEvent) and db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "partnership.archived")) == 1


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
    assert envelope_of(production("GET", f"{PARTNERSHIPS}?{query}"), 400)["message"].startswith(message)


def test_a_cursor_from_the_other_mode_is_unknown(production, test_pair, make):
    live = make.partner()
    response = test_pair("GET", f"{PARTNERSHIPS}?starting_after={live.partnership_key}")
    assert envelope_of(response, 400)["message"] == "starting_after: no item in this list has this key"


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


def test_groups_list_the_default_group_and_the_others(production, db):
    db.session.add(PartnerGroup(key="grup_vip222222222222", name="VIP", slug="vip"))
    db.session.commit()
    items = envelope_of(production("GET", "/api/v2/groups"), 200)["data"]["items"]
    assert {(item["slug"], item["default"]) for item in items} == {("default", True), ("vip", False)}
    assert set(items[0]) == {"key", "name", "slug", "default", "created_at", "updated_at"}


def test_a_test_pair_cannot_choose_or_change_partner_keys(test_pair, db):
    refused = test_pair("POST", PARTNERSHIPS, {"email": "t@example.com", "partner_key": "prodname"})
    assert envelope_of(refused, 400)["message"].startswith("partner_key: a test pair cannot choose")
    made = test_pair("POST", PARTNERSHIPS, {"email": "t@example.com", "first_name": "Jane", "last_name": "Roe"})
    data = made.json["data"]
    assert data["partner_key"] == "testjaneroe"  # a production Jane Roe still gets "janeroe"
    moved = test_pair("PATCH", f"{PARTNERSHIPS}/{data['key']}", {"partner_key": "janeroe"})
    assert envelope_of(moved, 400)["message"].startswith("partner_key: a test pair cannot choose")
    assert test_pair("PATCH", f"{PARTNERSHIPS}/{data['key']}", {"partner_key": "testjaneroe"}).status_code == 200
    assert db.session.get(PartnerKeyReservation, "janeroe") is None


def test_the_built_in_test_partner_keeps_its_key_and_cannot_be_archived(test_pair, db):
    archived = test_pair("DELETE", f"{PARTNERSHIPS}/part_gstest")
    assert envelope_of(archived, 409)["message"].startswith("partnership: the built-in test partner gstest")
    assert test_pair("PATCH", f"{PARTNERSHIPS}/part_gstest", {"partner_key": "mytest"}).status_code == 400
    assert test_pair("PATCH", f"{PARTNERSHIPS}/part_gstest", {"tags": ["qa"]}).status_code == 200
    gstest = db.session.scalar(select(Partner).where(Partner.partnership_key == "part_gstest"))
    assert (gstest.partner_key, gstest.archived_at, gstest.tags) == ("gstest", None, ["qa"])
    made = test_pair("POST", "/api/v2/customers", {"customer_key": "c", "email": "c@example.com",
                                                   "partner_key": "gstest"})
    assert made.status_code == 200


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
