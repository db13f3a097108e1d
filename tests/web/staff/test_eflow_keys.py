"""Settings → Integrations: Everflow-style network keys issued (shown once), revoked with confirmation, audited,
only by staff with security:full_control; the `eflow-keys` CLI."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.models import PERMISSIONS, AuditEvent, EverflowNetworkKey
from portal.services.everflow_keys import issue_key, verify_key

BASE = "/staff/settings/integrations"
WITHOUT_SECURITY = [p for p in PERMISSIONS if p != "security:full_control"]


@pytest.fixture
def admin(admin, login_as):
    """The conftest's admin, having confirmed who they are: issuing shows the new secret in full."""
    login_as.confirm_identity()
    return admin


def _audits(db, action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_issuing_shows_the_key_once_stores_only_its_hash_and_audits(client, db, admin):
    response = client.post(f"{BASE}/eflow-keys/new", data={"label": "BI warehouse"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    secret = re.search(r'value="([^"]+)" readonly aria-label="Network key"', page).group(1)
    assert secret.startswith("efn_live_")
    key = db.session.scalar(select(EverflowNetworkKey))
    assert key.label == "BI warehouse" and key.created_by_id == admin.id and secret not in key.lookup_hash
    assert secret.startswith(key.prefix) and len(key.prefix) < len(secret)
    assert verify_key(secret).key_id == key.id and _audits(db, "eflow_network_key.issued") == 1
    listing = client.get(BASE).get_data(as_text=True)
    assert key.prefix in listing and secret not in listing and 'href="/docs/networks-api"' in listing


def test_an_empty_label_is_refused(client, db, admin):
    response = client.post(f"{BASE}/eflow-keys/new", data={"label": "  "})
    assert response.status_code == 400 and db.session.scalar(select(func.count(EverflowNetworkKey.id))) == 0


def test_revoking_asks_for_confirmation_then_is_final_and_audited(client, db, admin):
    issued = issue_key("BI warehouse", actor=admin)
    confirm = client.get(f"{BASE}/eflow-keys/{issued.key.id}/revoke")
    assert confirm.status_code == 200 and "Revoke network key" in confirm.get_data(as_text=True)
    assert issued.key.revoked_at is None  # a GET changes nothing
    assert client.post(f"{BASE}/eflow-keys/{issued.key.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(EverflowNetworkKey, issued.key.id).revoked_by_id == admin.id
    assert verify_key(issued.secret).revoked and _audits(db, "eflow_network_key.revoked") == 1
    client.post(f"{BASE}/eflow-keys/{issued.key.id}/revoke")
    assert _audits(db, "eflow_network_key.revoked") == 1  # already revoked: nothing more to record
    assert client.get(f"{BASE}/eflow-keys/999999/revoke").status_code == 404


@pytest.mark.parametrize("method,path", [("GET", "/eflow-keys/new"), ("POST", "/eflow-keys/new"),
                                         ("POST", "/eflow-keys/{id}/revoke")])
def test_staff_without_security_control_are_refused(client, db, make, login_as, method, path):
    issued = issue_key("BI warehouse")
    login_as.staff(make.staff(permissions=WITHOUT_SECURITY, email="am@network.test"))
    response = client.open(BASE + path.format(id=issued.key.id), method=method, data={"label": "mine"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.scalar(select(func.count(EverflowNetworkKey.id))) == 1
    assert db.session.get(EverflowNetworkKey, issued.key.id).revoked_at is None


@pytest.mark.parametrize("method,path", [("GET", "/eflow-keys/new"), ("POST", "/eflow-keys/new"),
                                         ("POST", "/eflow-keys/{id}/revoke")])
def test_a_partner_user_cannot_reach_the_pages(client, db, make, login_as, method, path):
    issued = issue_key("BI warehouse")
    login_as.partner(make.partner_user(make.partner()))
    response = client.open(BASE + path.format(id=issued.key.id), method=method, data={"label": "mine"})
    assert response.status_code in (302, 403, 404)
    db.session.expire_all()
    assert db.session.get(EverflowNetworkKey, issued.key.id).revoked_at is None
    assert db.session.scalar(select(func.count(EverflowNetworkKey.id))) == 1


def test_the_cli_issues_and_revokes_by_prefix(app, db):
    runner = app.test_cli_runner()
    issued = runner.invoke(args=["eflow-keys", "issue", "--label", "Nightly sync"])
    assert issued.exit_code == 0, issued.output
    secret = issued.output.strip().splitlines()[-1]
    found = verify_key(secret)
    assert found is not None and not found.revoked
    whole = runner.invoke(args=["eflow-keys", "revoke", secret])
    assert whole.exit_code != 0 and secret not in whole.output  # never echoed back
    key = db.session.get(EverflowNetworkKey, found.key_id)
    done = runner.invoke(args=["eflow-keys", "revoke", key.prefix])
    assert done.exit_code == 0, done.output
    assert verify_key(secret).revoked and _audits(db, "eflow_network_key.revoked") == 1
    again = runner.invoke(args=["eflow-keys", "revoke", key.prefix])
    assert again.exit_code == 0 and "already revoked" in again.output


def test_the_integrations_page_lists_the_keys_once_in_its_body(client, db, admin):
    issue_key("BI warehouse")
    page = client.get(BASE).get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "<table" not in title and len(title) < 100
    assert page.count('id="eflow-keys"') == 1 and page.count("BI warehouse") == 1
