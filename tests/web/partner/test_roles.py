"""Roles decide what a partner user may open, and the server enforces it: walk every partner endpoint and
method for every role. Allowed → never the role's 403; not allowed → 403 with nothing changed. The menu
shows only what the role may open."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.domain.roles import CAPABILITIES, ROLES, role_can
from portal.models import Invitation
from portal.models.base import utcnow
from portal.services.keys import issue_key
from portal.web.partner.access import ENDPOINT_CAPABILITIES
from tests.conftest import base_config

_APP = create_app(base_config())
PARTNER_RULES = sorted((rule.endpoint, rule.rule, method) for rule in _APP.url_map.iter_rules()
                       if rule.endpoint.startswith("partner.") for method in rule.methods - {"HEAD", "OPTIONS"})


def test_every_partner_endpoint_names_the_capability_it_needs():
    endpoints = {endpoint for endpoint, _, _ in PARTNER_RULES}
    assert endpoints - set(ENDPOINT_CAPABILITIES) == set(), "add the new page to ENDPOINT_CAPABILITIES"
    assert set(ENDPOINT_CAPABILITIES) - endpoints == set(), "a stale entry in ENDPOINT_CAPABILITIES"
    every = set().union(*CAPABILITIES.values())
    assert set(ENDPOINT_CAPABILITIES.values()) <= every


def test_the_roles_are_as_promised():
    assert ROLES == ("admin", "reports", "postbacks_reports")
    assert all(role_can(role, "offers") for role in ROLES)  # whoever sends traffic needs the links
    assert [role for role in ROLES if role_can(role, "offer_apply")] == ["admin"]
    assert not role_can("reports", "postbacks") and not role_can("reports", "api_keys")
    assert role_can("postbacks_reports", "postbacks") and not role_can("postbacks_reports", "team")
    assert not role_can("owner", "reports") and not role_can(None, "account")  # unknown roles: nothing


@pytest.fixture
def world(make, db):
    partner = make.partner()
    secret = issue_key(partner, "Roles test").secret
    postback = make.server_postback(partner)
    teammate = make.partner_user(partner, role="reports")
    invitation = Invitation(kind="partner", partner_id=partner.id, email="pending@partner.test", role="reports",
                            token_hash="1" * 64, invited_by_kind="system", expires_at=utcnow() + timedelta(days=1))
    db.session.add(invitation)
    db.session.commit()
    return {"partner": partner, "postback": postback, "delivery": make.delivery(postback, status="dead", attempts=1),
            "teammate": teammate, "invitation": invitation, "secret": secret,
            "offer": make.offer(visibility="require_approval")}


def _url(rule: str, world: dict) -> str:
    values = {"<any(csv, json):fmt>": "csv", "<conversion_id>": "0" * 32,
              "<int:postback_id>": world["postback"].id, "<int:delivery_id>": world["delivery"].id,
              "<int:session_id>": 1, "<int:user_id>": world["teammate"].id,
              "<int:invitation_id>": world["invitation"].id, "<int:offer_id>": world["offer"].id,
              "<int:creative_id>": 1, "<int:notice_id>": 1, "<int:feed_id>": 1, "<int:invoice_id>": 1}
    for variable, value in values.items():
        rule = rule.replace(variable, str(value))
    assert "<" not in rule, f"no sample value for a variable of {rule}"
    return rule


def _fingerprint(db) -> dict:
    counts = {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in db.metadata.sorted_tables}
    counts["users"] = tuple(db.session.execute(sa.text("SELECT id, role, active FROM partner_users ORDER BY id")))
    counts["invitations"] = tuple(db.session.execute(sa.text("SELECT id, revoked_at, token_hash FROM invitations")))
    return counts


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "rule", "method"), PARTNER_RULES)
def test_each_role_opens_exactly_its_pages(client, db, make, login_as, world, role, endpoint, rule, method):
    user = make.partner_user(world["partner"], role=role)
    login_as.partner(user)
    before = _fingerprint(db)
    response = client.open(_url(rule, world), method=method, data={"role": "admin"} if method == "POST" else {})
    if role_can(role, ENDPOINT_CAPABILITIES[endpoint]):
        assert response.status_code != 403, (role, endpoint, method)
        assert response.status_code < 500
    else:
        assert response.status_code == 403, (role, endpoint, method, response.status_code)
        assert _fingerprint(db) == before


@pytest.mark.parametrize(("role", "shown", "hidden"), [
    ("reports", ["Dashboard", "Reports", "Conversions", "Offers"], ["Postbacks", "Billing", ">Users<", ">API<"]),
    ("postbacks_reports", ["Reports", "Postbacks", "Offers"], ["Billing", ">Users<", ">API<"]),
    ("admin", ["Reports", "Postbacks", "Offers", "Billing", ">Users<", ">API<"], []),
])
def test_the_menu_shows_only_the_roles_pages(client, make, login_as, world, role, shown, hidden):
    login_as.partner(make.partner_user(world["partner"], role=role))
    header = client.get("/account").get_data(as_text=True).split("</header>")[0]
    tabs = client.get("/account").get_data(as_text=True).split('aria-label="My Account"')[1].split("</nav>")[0]
    for label in shown:
        assert label in header + tabs, (role, label)
    for label in hidden:
        assert label not in header + tabs, (role, label)


def test_a_reports_only_user_cannot_read_the_api_key(client, make, login_as, world):
    login_as.partner(make.partner_user(world["partner"], role="reports"))
    response = client.get("/account/api")
    assert response.status_code == 403 and world["secret"] not in response.get_data(as_text=True)
    assert client.get("/postbacks").status_code == 403
    assert client.get("/reports").status_code == 200


@pytest.mark.parametrize("role, linked", [
    ("reports", {"/offers"}),
    ("postbacks_reports", {"/offers", "/postbacks"}),
    ("admin", {"/offers", "/postbacks", "/account/api"}),
])
def test_the_getting_started_steps_link_only_to_pages_the_role_opens(client, make, login_as, role, linked):
    partner = make.partner()  # new: no click, no postback, no key, so every step is still to do
    login_as.partner(make.partner_user(partner, role=role))
    page = client.get("/").get_data(as_text=True)
    checklist = page[page.index('id="getting-started"'):page.index("</section>", page.index('id="getting-started"'))]
    for path in ("/offers", "/postbacks", "/account/api"):
        assert (f'href="{path}"' in checklist) == (path in linked), path
    assert checklist.count("your company's admin does this") == 3 - len(linked)
