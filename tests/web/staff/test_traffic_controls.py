"""Staff list, create, edit, deactivate and reactivate traffic controls: every field checked, every change
audited in the same transaction, only staff with offers:manage get in."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from sqlalchemy import select

from portal.models import PERMISSIONS, TrafficControl, TrafficControlOffer, TrafficControlPartner
from tests.web.staff.offer_helpers import audits


def rule_form(**overrides) -> dict:
    form = {"name": "Block bad subs", "status": "active", "control_type": "blacklist", "variable": "sub1",
            "comparison_method": "exact_match", "values": "abc\r\nDEF\r\n\r\nabc", "offer_ids": "",
            "partner_ids": "", "date_valid_from": "", "date_valid_to": ""}
    form.update(overrides)
    return form


def only_rule(db) -> TrafficControl:
    db.session.expire_all()
    return db.session.scalars(select(TrafficControl)).one()


def test_creating_a_rule_saves_it_with_its_scope_and_audits_it(client, db, make, admin):
    offer, partner = make.offer(name="Summer Sale"), make.partner(name="Acme Media")
    response = client.post("/staff/traffic-controls/new", data=rule_form(
        offer_ids=f"{offer.id}", partner_ids=f" {partner.id}, ", date_valid_from="2026-12-01T00:00",
        date_valid_to="2027-01-01T00:00"))
    assert response.status_code == 302 and response.headers["Location"] == "/staff/traffic-controls"
    rule = only_rule(db)
    assert (rule.name, rule.control_type, rule.variable, rule.comparison_method, rule.values) == (
        "Block bad subs", "blacklist", "sub1", "exact_match", ["abc", "DEF"])
    assert (rule.is_apply_all_offers, rule.is_apply_all_affiliates) == (False, False)
    assert rule.date_valid_from.isoformat() == "2026-12-01T00:00:00+00:00"
    assert [r.offer_id for r in db.session.scalars(select(TrafficControlOffer))] == [offer.id]
    assert [r.partner_id for r in db.session.scalars(select(TrafficControlPartner))] == [partner.id]
    [event] = audits(db, "traffic_control.created")
    assert (event.actor_id, event.target_id) == (admin.id, str(rule.id))
    assert event.detail["values"] == ["abc", "DEF"] and event.detail["offer_ids"] == [offer.id]
    page = client.get("/staff/traffic-controls").get_data(as_text=True)
    assert "Block bad subs" in page and "Summer Sale" in page and "Acme Media" in page


def test_editing_a_rule_replaces_its_scope_and_audits_it(client, db, make, admin):
    offer = make.offer()
    client.post("/staff/traffic-controls/new", data=rule_form(offer_ids=str(offer.id)))
    rule = only_rule(db)
    form = client.get(f"/staff/traffic-controls/{rule.id}/edit").get_data(as_text=True)
    assert str(offer.id) in form and "DEF" in form
    response = client.post(f"/staff/traffic-controls/{rule.id}/edit", data=rule_form(
        variable="ip", values="10.0.0.0/8\n192.0.2.7", control_type="whitelist"))
    assert response.status_code == 302
    rule = only_rule(db)
    assert (rule.variable, rule.values, rule.control_type, rule.is_apply_all_offers) == (
        "ip", ["10.0.0.0/8", "192.0.2.7"], "whitelist", True)
    assert db.session.scalars(select(TrafficControlOffer)).all() == []
    assert len(audits(db, "traffic_control.updated")) == 1


def test_deactivating_and_reactivating_are_audited(client, db, admin):
    client.post("/staff/traffic-controls/new", data=rule_form())
    rule = only_rule(db)
    assert client.post(f"/staff/traffic-controls/{rule.id}/status", data={"status": "inactive"}).status_code == 302
    assert only_rule(db).status == "inactive"
    client.post(f"/staff/traffic-controls/{rule.id}/status", data={"status": "inactive"})  # no change: no event
    client.post(f"/staff/traffic-controls/{rule.id}/status", data={"status": "active"})
    assert only_rule(db).status == "active"
    assert [len(audits(db, a)) for a in ("traffic_control.deactivated", "traffic_control.activated")] == [1, 1]
    assert client.post(f"/staff/traffic-controls/{rule.id}/status", data={"status": "bogus"}).status_code == 400


@pytest.mark.parametrize(("overrides", "message"), [
    ({"values": "\n \n"}, "This field is required"),
    ({"variable": "ip", "values": "not-an-ip"}, "not an IP address"),
    ({"offer_ids": "12abc"}, "whole numbers"),
    ({"offer_ids": "999999"}, "no such id: 999999"),
    ({"partner_ids": "99999999999999999999"}, "whole numbers"),
    ({"variable": "cookie"}, "Not a valid choice"),
    ({"date_valid_from": "2027-01-02T00:00", "date_valid_to": "2027-01-01T00:00"}, "after the start"),
    ({"name": "x\x00y"}, "This field"),
])
def test_bad_input_is_refused_on_the_form_and_saves_nothing(client, db, admin, overrides, message):
    response = client.post("/staff/traffic-controls/new", data=rule_form(**overrides))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalars(select(TrafficControl)).all() == []
    assert audits(db, "traffic_control.created") == []


def test_a_lone_surrogate_in_the_body_never_reaches_the_database_as_one(client, db, admin):
    body = "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'))}"
                    for k, v in rule_form(values="a\ud800b").items()).encode()
    response = client.post("/staff/traffic-controls/new", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (302, 400)  # the bytes are not UTF-8: replaced, or refused; never a 500
    for rule in db.session.scalars(select(TrafficControl)):
        assert all(v.encode("utf-8") for v in rule.values)


def test_an_unknown_rule_is_a_404(client, admin):
    assert client.get("/staff/traffic-controls/999/edit").status_code == 404
    assert client.post("/staff/traffic-controls/999/status", data={"status": "inactive"}).status_code == 404
    assert client.get(f"/staff/traffic-controls/{2**70}/edit").status_code == 404


def test_staff_without_offers_manage_cannot_see_or_change_rules(client, db, make, login_as):
    login_as.staff(make.staff(permissions=[p for p in PERMISSIONS if p != "offers:manage"]))
    assert 'href="/staff/traffic-controls"' not in client.get("/staff/account").get_data(as_text=True)
    assert client.get("/staff/traffic-controls").status_code == 403
    assert client.post("/staff/traffic-controls/new", data=rule_form()).status_code == 403
    assert db.session.scalars(select(TrafficControl)).all() == []


LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("change", ["offers", "partners", "offers and partners"])
def test_editing_only_a_rules_offers_or_partners_saves_it_now(client, db, make, admin, change):
    first_offer, second_offer = make.offer(), make.offer()
    first_partner, second_partner = make.partner(), make.partner()
    scope = {"offer_ids": str(first_offer.id), "partner_ids": str(first_partner.id)}
    client.post("/staff/traffic-controls/new", data=rule_form(**scope))
    rule = only_rule(db)
    rule.updated_at = LONG_AGO  # saved long ago: partners' scripts have seen it
    db.session.commit()
    edited = {**scope, **({"offer_ids": f"{first_offer.id},{second_offer.id}"} if "offers" in change else {}),
              **({"partner_ids": str(second_partner.id)} if "partners" in change else {})}
    before = datetime.now(UTC)
    assert client.post(f"/staff/traffic-controls/{rule.id}/edit", data=rule_form(**edited)).status_code == 302
    rule = only_rule(db)
    assert rule.updated_at >= before.replace(microsecond=0) and rule.created_at > LONG_AGO
    offers = {r.offer_id for r in db.session.scalars(select(TrafficControlOffer))}
    partners = {r.partner_id for r in db.session.scalars(select(TrafficControlPartner))}
    assert (offers, partners) == ({int(i) for i in edited["offer_ids"].split(",")}, {int(edited["partner_ids"])})
