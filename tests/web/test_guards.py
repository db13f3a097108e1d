"""Walk the whole URL map: every staff and partner rule is guarded for every principal and method."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.models import PERMISSIONS, Invitation, KeyAlert
from portal.models.base import utcnow
from portal.services.everflow_keys import issue_key as issue_eflow_key
from portal.services.keys import issue_key
from portal.services.network_keys import issue_pair
from portal.storage import store_for
from portal.web.guards import ANY_STAFF
from tests.conftest import base_config
from tests.invoicing import generate_invoices_after
from tests.traffic_world import control as traffic_control
from tests.web.staff.offer_helpers import offer_objects

SAMPLE_VALUES = {"tab": "users"}  # partner_id is filled with a real partner's id
CHANGING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_APP = create_app(base_config())


def _rules(prefix: str):
    app = _APP
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(prefix):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, rule.rule, method))
    return found


STAFF_RULES = _rules("staff.")
PARTNER_RULES = _rules("partner.")
PERMISSIONED_STAFF_PAGES = [
    r for r in STAFF_RULES
    if r[2] == "GET" and _APP.view_functions[r[0]].required_permissions != (ANY_STAFF,)
]


def _url(rule: str, world: dict) -> str:
    """Fill a rule's variables with real objects of the world (a partner and its key, a key pair, …)."""
    values = {"<int:partner_id>": world["partner"].id, "<int:key_id>": world["key"].id,
              "<int:alert_id>": world["alert"].id,
              "<tab>": SAMPLE_VALUES["tab"], "<any(csv, json):fmt>": "csv",
              "<conversion_id>": "0" * 32,
              "<int:postback_id>": world["postback"].id, "<int:delivery_id>": world["delivery"].id,
              "<int:pair_id>": world["pair"].id, "<int:eflow_key_id>": world["eflow_key"].id, "<int:session_id>": 1,
              "<int:invitation_id>": world["invitation"].id, "<int:user_id>": world["partner_user"].id,
              # The guard answers before any lookup; the offers console's ids are real ones.
              "<int:notice_id>": 1, "<int:control_id>": world["traffic_control"].id,
              "<int:invoice_id>": world["invoice"].id,
              **{f"<int:{name}>": value for name, value in world["offers"].items()}}
    for variable, value in values.items():
        rule = rule.replace(variable, str(value))
    assert "<" not in rule, f"no sample value for a variable of {rule}"
    return rule


def _fingerprint(db) -> dict:
    """Row counts of every table plus the settings row: any change shows up here."""
    counts = {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in db.metadata.sorted_tables}
    counts["settings"] = tuple(db.session.execute(sa.text("SELECT * FROM network_settings")).one())
    return counts


@pytest.fixture
def world(app, make, db, tmp_path):
    app.config["STORAGE_DIR"] = str(tmp_path / "files")
    partner = make.partner()
    issued = issue_key(partner, "Guard test")
    alert = KeyAlert(api_key_id=issued.key.id, partner_id=partner.id, kind="new_endpoint", detail={})
    db.session.add(alert)
    db.session.commit()
    postback = make.server_postback(partner)
    invitation = Invitation(kind="partner", partner_id=partner.id, email="invited@partner.test", role="reports",
                            token_hash="0" * 64, invited_by_kind="system", expires_at=utcnow() + timedelta(days=1))
    db.session.add(invitation)
    db.session.commit()
    make.conversion(partner, make.offer(), payout_cents=900)
    today = utcnow().date()
    [invoice] = generate_invoices_after(today - timedelta(days=1), today + timedelta(days=1), [partner.id],
                                        None).invoices
    return {
        "invoice": invoice,  # an unpaid invoice of this partner's
        "invitation": invitation,  # a pending invitation to this partner
        "postback": postback,  # a real postback and failed delivery of this partner's, for the postback pages
        "delivery": make.delivery(postback, status="dead", attempts=1),
        "alert": alert,
        "pair": issue_pair("production", "Guard test").key,  # an active Network API key pair
        "eflow_key": issue_eflow_key("Guard test").key,  # an active Everflow-style network key
        "partner": partner,
        "key": issued.key,
        "secret": issued.secret,  # a real, active key of this partner
        "partner_user": make.partner_user(partner),
        "bare_staff": make.staff(permissions=[]),
        # An offer with one of everything (landing page, banner, coupon, feed, a pending application).
        "offers": offer_objects(db, store_for(app), make.partner(), make.offer()),
        "traffic_control": traffic_control(db, "Guard test"),  # a rule for every partner and offer
    }


def _form(method: str) -> dict:
    # A plausible body, so that a view that forgot its guard would really change something.
    return {"network_name": "Hijacked", "currency": "EUR", "timezone": "UTC", "current_password": "x",
            "new_password": "y" * 12, "confirm_password": "y" * 12} if method in CHANGING_METHODS else {}


def test_the_rule_lists_are_not_empty():
    assert len(STAFF_RULES) >= 5 and len(PARTNER_RULES) >= 9


@pytest.mark.parametrize(("endpoint", "rule", "method"), STAFF_RULES)
@pytest.mark.parametrize("principal", ["anonymous", "partner_session", "partner_key"])
def test_staff_rules_send_outsiders_to_the_staff_sign_in(app, db, client, login_as, world, endpoint, rule, method, principal):
    headers = {}
    if principal == "partner_session":
        login_as.partner(world["partner_user"])
    elif principal == "partner_key":
        headers = {"X-Eflow-API-Key": world["secret"], "Authorization": f"Bearer {world['secret']}"}
    before = _fingerprint(db)
    response = client.open(_url(rule, world), method=method, headers=headers, data=_form(method))
    assert response.status_code == 302, (endpoint, method, principal)
    assert response.headers["Location"].startswith("/staff/login")
    assert _fingerprint(db) == before


@pytest.mark.parametrize(("endpoint", "rule", "method"), STAFF_RULES)
def test_staff_without_the_permission_get_forbidden(app, db, client, login_as, world, endpoint, rule, method):
    view = app.view_functions[endpoint]
    needed = view.required_permissions
    login_as.staff(world["bare_staff"])
    before = _fingerprint(db)
    response = client.open(_url(rule, world), method=method, data=_form(method))
    if needed == (ANY_STAFF,):
        # Open to every staff member (own account, home); 404: a sign-in session id that is not theirs.
        assert response.status_code in (200, 302, 400, 404)
        return
    assert response.status_code == 403
    assert b"Forbidden" in response.data
    assert _fingerprint(db) == before


@pytest.mark.parametrize(("endpoint", "rule", "method"), PERMISSIONED_STAFF_PAGES)
def test_staff_with_every_other_permission_but_the_needed_one_get_forbidden(app, client, make, login_as, world, endpoint, rule, method):
    needed = app.view_functions[endpoint].required_permissions
    others = [p for p in PERMISSIONS if p not in needed]
    login_as.staff(make.staff(permissions=others))
    assert client.get(_url(rule, world)).status_code == 403
    client.post("/logout")
    login_as.staff(make.staff(permissions=[needed[0]]))
    login_as.confirm_identity()  # pages that mint a credential ask for it first (tests/web/staff/test_keys.py)
    response = client.get(_url(rule, world))
    response.close()  # a served file (a banner, a feed) is open until the response is closed
    assert response.status_code == 200


def test_every_staff_view_declares_what_it_needs(app):
    for endpoint, _, _ in STAFF_RULES:
        needed = getattr(app.view_functions[endpoint], "required_permissions", None)
        assert needed, f"{endpoint} declares no permission"
        assert all(p in PERMISSIONS or p == ANY_STAFF for p in needed)


@pytest.mark.parametrize(("endpoint", "rule", "method"), PARTNER_RULES)
@pytest.mark.parametrize("principal", ["anonymous", "staff_session", "partner_key"])
def test_partner_rules_send_everyone_else_to_the_partner_sign_in(app, db, client, login_as, make, world, endpoint, rule, method, principal):
    headers = {}
    if principal == "staff_session":
        login_as.staff(make.staff())  # even an admin with every permission has no partner session
    elif principal == "partner_key":
        headers = {"X-Eflow-API-Key": world["secret"], "Authorization": f"Bearer {world['secret']}"}
    before = _fingerprint(db)
    response = client.open(_url(rule, world), method=method, headers=headers, data=_form(method))
    assert response.status_code == 302, (endpoint, method, principal)
    assert response.headers["Location"].startswith("/login")
    assert _fingerprint(db) == before


def test_signing_in_as_staff_ends_the_partner_session(client, login_as, make, world):
    login_as.partner(world["partner_user"])
    assert client.get("/").status_code == 200
    login_as.staff(make.staff())
    assert client.get("/staff/partners").status_code == 200
    assert client.get("/").status_code == 302


def test_a_forged_session_id_of_the_other_kind_is_refused(app, client, login_as, world):
    """A partner user's live sign-in, with its id presented as a staff session id, loads nobody."""
    user = world["partner_user"]
    login_as.partner(user)
    with client.session_transaction() as session:
        session["_user_id"] = f"staff:{user.id}"
        session["_fresh"] = True
    assert client.get("/staff/partners").status_code == 302
