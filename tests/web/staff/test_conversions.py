"""Staff approve, reject or hold a conversion: who may, what moves with it, and what partners are sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, Conversion, PostbackDelivery, ReportRollup
from portal.services import rollups

VIEW, MANAGE = "partners:view", "partners:manage"


@pytest.fixture
def world(make):
    partner, offer = make.partner(), make.offer(payout_amount=600)
    conversion = make.conversion(partner, offer, payout_cents=600, status="on_hold", transaction_id="t" * 32,
                                 order_id="ORD-77", hold_until=datetime.now(UTC) + timedelta(days=10))
    subscribed = make.server_postback(partner, send_status_updates=True)
    make.server_postback(partner)  # not subscribed to updates
    make.server_postback(partner, send_status_updates=True, status="inactive")
    return {"partner": partner, "offer": offer, "conversion": conversion, "subscribed": subscribed}


def rollup(db, partner_id: int) -> tuple[int, int, int, int]:
    db.session.expire_all()
    row = db.session.scalars(select(ReportRollup).where(ReportRollup.partner_id == partner_id)).one()
    return row.conversions, row.earnings_cents, row.on_hold_conversions, row.on_hold_earnings_cents


def state(db) -> tuple:
    db.session.expire_all()
    return (tuple(db.session.execute(select(Conversion.status, Conversion.hold_until)).all()),
            db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("conversion.%"))),
            db.session.scalar(select(func.count()).select_from(PostbackDelivery)))


def decide(client, conversion_id: str, status: str, **extra):
    return client.post("/staff/conversions/decide", data={"conversion_id": conversion_id, "status": status, **extra})


@pytest.mark.parametrize("permissions", [[], [VIEW], [VIEW, "settings:manage", "security:full_control"]])
def test_without_partners_manage_a_decision_is_forbidden_and_changes_nothing(client, db, make, login_as, world,
                                                                               permissions):
    login_as.staff(make.staff(permissions=permissions))
    before = state(db)
    response = decide(client, world["conversion"].conversion_id, "approved")
    assert response.status_code == 403 and b"Forbidden" in response.data
    assert state(db) == before


def test_outsiders_are_sent_to_the_staff_sign_in(client, db, world):
    before = state(db)
    response = decide(client, world["conversion"].conversion_id, "approved")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    assert state(db) == before


def test_approving_a_held_conversion_moves_rollups_audits_and_notifies_subscribed_postbacks(client, db, make, login_as,
                                                                                             world):
    partner_id, conversion = world["partner"].id, world["conversion"]
    manager = make.staff(permissions=[VIEW, MANAGE])
    login_as.staff(manager)
    assert rollup(db, partner_id) == (0, 0, 1, 600)

    response = decide(client, conversion.conversion_id, "approved")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/conversions?q={conversion.conversion_id}"

    db.session.expire_all()
    changed = db.session.get(Conversion, conversion.id)
    assert (changed.status, changed.hold_until) == ("approved", None)
    assert rollup(db, partner_id) == (1, 600, 0, 0)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "conversion.status_changed")).one()
    assert (event.actor_id, event.actor_type, event.target_type, event.target_id) == (
        manager.id, "staff", "Conversion", str(conversion.id))
    assert event.detail == {"conversion_id": conversion.conversion_id, "partner_id": partner_id,
                            "from": "on_hold", "to": "approved"}
    deliveries = db.session.scalars(select(PostbackDelivery)).all()
    assert [(d.postback_id, d.kind, d.conversion_id) for d in deliveries] == [
        (world["subscribed"].id, "update", conversion.id)]
    assert '"status": "approved"' in deliveries[0].macro_values

    written = rollup(db, partner_id)
    rollups.rebuild(db.session, [partner_id])  # the moved totals equal a recount
    db.session.commit()
    assert rollup(db, partner_id) == written


@pytest.mark.parametrize(("start", "decision", "expected"), [
    ("approved", "rejected", (0, 0, 0, 0)),
    ("approved", "on_hold", (0, 0, 1, 600)),
    ("rejected", "approved", (1, 600, 0, 0)),
    ("pending", "on_hold", (0, 0, 1, 600)),
])
def test_each_decision_moves_the_rollups(client, db, make, login_as, start, decision, expected):
    partner, offer = make.partner(), make.offer()
    conversion = make.conversion(partner, offer, payout_cents=600, status=start)
    login_as.staff(make.staff(permissions=[MANAGE]))
    assert decide(client, conversion.conversion_id, decision).status_code == 302
    assert rollup(db, partner.id) == expected
    db.session.expire_all()
    held = db.session.get(Conversion, conversion.id)
    assert held.status == decision and held.hold_until is None  # a staff hold waits for staff, not a date


def test_the_same_status_again_changes_nothing(client, db, make, login_as, world):
    login_as.staff(make.staff(permissions=[MANAGE]))
    before = state(db)
    response = decide(client, world["conversion"].conversion_id, "on_hold")
    assert response.status_code == 302
    assert state(db) == before
    assert "already had that status" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("status", ["pending", "deleted", ""])
def test_a_decision_outside_approve_reject_hold_is_refused(client, db, make, login_as, world, status):
    login_as.staff(make.staff(permissions=[MANAGE]))
    before = state(db)
    assert decide(client, world["conversion"].conversion_id, status).status_code == 400
    assert state(db) == before


def test_an_unknown_or_missing_conversion_id_changes_nothing(client, db, make, login_as, world):
    login_as.staff(make.staff(permissions=[MANAGE]))
    before = state(db)
    assert decide(client, "0" * 32, "approved").status_code == 404
    assert decide(client, "", "approved").status_code == 400
    assert decide(client, "a" * 65, "approved").status_code == 400
    assert state(db) == before


def test_the_form_needs_its_csrf_token(make_app, make, world):
    staff = make.staff(permissions=[VIEW, MANAGE])
    client = make_app(WTF_CSRF_ENABLED=True).test_client()  # no app context held: a fresh `g` per request
    page = client.get("/staff/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/staff/login", data={"email": staff.email, "password": "correct-horse-battery", "csrf_token": token})
    conversion_id = world["conversion"].conversion_id
    assert decide(client, conversion_id, "approved").status_code == 400
    listing = client.get(f"/staff/partners/{world['partner'].id}/conversions").get_data(as_text=True)
    form_token = listing.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert decide(client, conversion_id, "approved", csrf_token=form_token).status_code == 302


def test_the_partner_page_lists_recent_conversions_with_buttons_for_managers_only(client, make, login_as, world):
    conversion_id = world["conversion"].conversion_id
    url = f"/staff/partners/{world['partner'].id}/conversions"
    login_as.staff(make.staff(permissions=[VIEW]))
    viewer_page = client.get(url).get_data(as_text=True)
    assert conversion_id in viewer_page and "Approve" not in viewer_page
    client.post("/logout")
    login_as.staff(make.staff(permissions=[VIEW, MANAGE]))
    page = client.get(url).get_data(as_text=True)
    assert 'action="/staff/conversions/decide"' in page
    assert f'name="conversion_id" value="{conversion_id}"' in page
    assert ">Approve<" in page and ">Reject<" in page and "Hold</button>" in page
    assert f'name="next" value="{url}"' in page
    assert client.get("/staff/partners/999999/conversions").status_code == 404


@pytest.mark.parametrize("query", ["conversion", "transaction", "order"])
def test_the_lookup_finds_a_conversion_by_any_of_its_ids(client, make, login_as, world, query):
    conversion = world["conversion"]
    q = {"conversion": conversion.conversion_id.upper(), "transaction": conversion.transaction_id,
         "order": conversion.order_id}[query]
    login_as.staff(make.staff(permissions=[VIEW]))
    page = client.get("/staff/conversions", query_string={"q": q}).get_data(as_text=True)
    assert f'data-conversion-id="{conversion.conversion_id}"' in page
    assert "No conversions." in client.get("/staff/conversions", query_string={"q": "nothing-like-it"}).get_data(as_text=True)


def test_after_a_decision_only_own_staff_paths_are_followed(client, db, make, login_as, world):
    login_as.staff(make.staff(permissions=[MANAGE]))
    conversion_id = world["conversion"].conversion_id
    back = f"/staff/partners/{world['partner'].id}/conversions"
    assert decide(client, conversion_id, "approved", next=back).headers["Location"] == back
    elsewhere = decide(client, conversion_id, "rejected", next="https://evil.example/staff/")
    assert elsewhere.headers["Location"] == f"/staff/conversions?q={conversion_id}"


def test_the_partner_page_has_a_conversions_tab(client, make, login_as):
    partner = make.partner(name="Tabbed Media")
    login_as.staff(make.staff(permissions=("partners:view",)))
    overview = client.get(f"/staff/partners/{partner.id}").get_data(as_text=True)
    assert f'href="/staff/partners/{partner.id}/conversions"' in overview
    tab = client.get(f"/staff/partners/{partner.id}/conversions")
    assert tab.status_code == 200 and 'aria-current="page">Conversions<' in tab.get_data(as_text=True)
