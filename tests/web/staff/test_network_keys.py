"""Settings → Integrations: Network API key pairs listed, issued (secret shown once), revoked; CLI; permissions."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from portal.models import PERMISSIONS, AuditEvent, NetworkApiKey, NetworkSettings
from portal.services.network_keys import PUBLIC_PREFIXES, SECRET_PREFIXES, issue_pair, revoke_pair, verify_pair

BASE = "/staff/settings/integrations"
WITHOUT_SECURITY = [p for p in PERMISSIONS if p != "security:full_control"]


def _audits(db, action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def _pairs(db) -> list[NetworkApiKey]:
    return list(db.session.scalars(select(NetworkApiKey).order_by(NetworkApiKey.id)))


def _secret_on(page: str) -> str:
    return re.search(r'value="([^"]+)" readonly aria-label="Secret key"', page).group(1)


@pytest.fixture
def admin(admin, login_as):
    """The conftest's admin, having confirmed who they are: issuing shows the new secret in full."""
    login_as.confirm_identity()
    return admin


@pytest.fixture
def settings_manager(make, login_as):
    """Every permission but security:full_control: may edit settings, not the network's credentials."""
    user = make.staff(permissions=WITHOUT_SECURITY, email="ops@network.test")
    login_as.staff(user)
    return user


def test_the_list_shows_every_pair_with_its_fields(client, db, make, admin):
    live = issue_pair("production", "Billing back end", actor=admin)
    trial = issue_pair("test", "Staging sync", actor=None)
    revoke_pair(trial.key, actor=admin)
    response = client.get(BASE)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'href="/docs/network-api"' in page
    rows = re.findall(r'<tr data-pair-id="(\d+)">(.*?)</tr>', page, re.S)
    assert [int(pair_id) for pair_id, _ in rows] == [trial.key.id, live.key.id]  # newest first
    cells = {int(pair_id): row for pair_id, row in rows}
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    live_row, trial_row = cells[live.key.id], cells[trial.key.id]
    assert "Billing back end" in live_row and live.key.public_key in live_row  # the public key in full
    assert "production</span>" in live_row and "Ada Admin" in live_row and today in live_row
    assert "never" in live_row and "active</span>" in live_row and "Revoke</a>" in live_row
    assert "Staging sync" in trial_row and "test</span>" in trial_row and "operator" in trial_row
    assert f"revoked {today}" in trial_row and "Revoke</a>" not in trial_row
    assert live.secret not in page and trial.secret not in page


def test_the_list_shows_when_a_pair_was_last_used(client, db, admin):
    pair = issue_pair("production", "Billing back end").key
    pair.last_used_at = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
    db.session.commit()
    assert "2026-11-30 14:05 UTC" in client.get(BASE).get_data(as_text=True)


def test_settings_and_the_staff_menu_link_to_integrations(client, admin):
    assert f'href="{BASE}"' in client.get("/staff/settings").get_data(as_text=True)
    header = client.get("/staff/account").get_data(as_text=True).split("</header>")[0]
    assert f'href="{BASE}"' in header and ">Integrations</a>" in header


def test_staff_without_security_control_see_no_link_to_integrations(client, settings_manager):
    assert BASE not in client.get("/staff/settings").get_data(as_text=True)


@pytest.mark.parametrize("mode", ["test", "production"])
def test_issuing_shows_the_secret_once_uncached_and_audits_it(client, db, admin, mode):
    form = client.get(f"{BASE}/keys/new").get_data(as_text=True)
    assert 'name="mode"' in form and "checked" not in form  # no default: the mode is chosen on purpose
    response = client.post(f"{BASE}/keys/new", data={"mode": mode, "label": "Billing back end"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    [pair] = _pairs(db)
    assert pair.mode == mode and pair.label == "Billing back end" and pair.created_by_id == admin.id
    public_key = re.search(r'value="([^"]+)" readonly aria-label="Public key"', page).group(1)
    secret = _secret_on(page)
    assert public_key == pair.public_key and public_key.startswith(PUBLIC_PREFIXES[mode])
    assert secret.startswith(SECRET_PREFIXES[mode]) and verify_pair(public_key, secret) == pair
    assert "never shown again" in page and 'data-copy-from="#secret-key"' in page
    assert _audits(db, "network_key.issued") == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "network_key.issued"))
    assert event.actor_id == admin.id and secret not in str(event.detail)
    # Shown once: no later page carries it.
    assert secret not in client.get(BASE).get_data(as_text=True)


def test_the_stored_row_holds_a_hash_and_never_the_secret(client, db, admin):
    page = client.post(f"{BASE}/keys/new", data={"mode": "production", "label": "Billing"}).get_data(as_text=True)
    secret = _secret_on(page)
    [pair] = _pairs(db)
    row = db.session.execute(sa.text("SELECT * FROM network_api_keys WHERE id = :id"), {"id": pair.id}).one()
    assert pair.secret_hash and pair.secret_hash != secret
    assert not any(secret in str(value) or secret[9:] in str(value) for value in row)  # not even its body
    audit_rows = db.session.execute(sa.text("SELECT * FROM audit_events")).all()
    assert not any(secret in str(value) for row in audit_rows for value in row)


@pytest.mark.parametrize(("data", "message"), [
    ({"mode": "production", "label": ""}, "Give the key pair a label"),
    ({"mode": "production", "label": "   "}, "Give the key pair a label"),
    ({"mode": "production", "label": "x" * 101}, "at most 100 characters"),
    ({"label": "Billing"}, "Choose test or production."),
    ({"mode": "staging", "label": "Billing"}, "Not a valid choice"),
])
def test_a_bad_form_is_shown_again_with_the_reason_and_writes_nothing(client, db, admin, data, message):
    response = client.post(f"{BASE}/keys/new", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _pairs(db) == [] and _audits(db, "network_key.issued") == 0


def test_revoke_asks_first_then_revokes_at_once(client, db, admin):
    issued = issue_pair("production", "Old back end")
    url = f"{BASE}/keys/{issued.key.id}/revoke"
    confirm = client.get(url)
    assert confirm.status_code == 200 and b"Revoke \xe2\x80\x9cOld back end\xe2\x80\x9d?" in confirm.data
    assert issued.key.public_key.encode() in confirm.data
    db.session.refresh(issued.key)
    assert issued.key.revoked_at is None and verify_pair(issued.key.public_key, issued.secret) is not None
    response = client.post(url)
    assert response.status_code == 302 and response.headers["Location"] == BASE
    db.session.refresh(issued.key)
    assert issued.key.revoked_at is not None and issued.key.revoked_by_id == admin.id
    assert verify_pair(issued.key.public_key, issued.secret) is None  # the next request is refused
    assert "revoked" in client.get(BASE).get_data(as_text=True)
    client.post(url)  # twice is harmless
    assert _audits(db, "network_key.revoked") == 1


def test_an_unknown_pair_is_not_found(client, admin):
    assert client.get(f"{BASE}/keys/999999/revoke").status_code == 404
    assert client.post(f"{BASE}/keys/999999/revoke").status_code == 404


def _fingerprint(db) -> tuple:
    pairs = tuple((p.id, p.revoked_at, p.secret_hash) for p in _pairs(db))
    return pairs, db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_staff_without_security_control_are_forbidden_everywhere_and_change_nothing(client, db, settings_manager):
    pair = issue_pair("production", "Billing back end").key
    before = _fingerprint(db)
    for method, url in [("GET", BASE), ("GET", f"{BASE}/keys/new"), ("POST", f"{BASE}/keys/new"),
                        ("GET", f"{BASE}/keys/{pair.id}/revoke"), ("POST", f"{BASE}/keys/{pair.id}/revoke")]:
        response = client.open(url, method=method, data={"mode": "production", "label": "Sneaky"})
        assert response.status_code == 403 and b"Forbidden" in response.data, (method, url)
    db.session.expire_all()
    assert _fingerprint(db) == before


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args, **kwargs: runner.invoke(args=list(args), **kwargs)


def test_cli_issue_prints_the_public_key_then_the_secret_alone_on_the_last_line(cli, db):
    result = cli("network-keys", "issue", "--mode", "test", "--label", "Staging sync")
    assert result.exit_code == 0, result.output
    *before, secret = result.output.rstrip("\n").splitlines()
    [pair] = _pairs(db)
    assert pair.public_key in "\n".join(before) and secret not in "\n".join(before)
    assert pair.mode == "test" and pair.label == "Staging sync" and pair.created_by_id is None
    assert verify_pair(pair.public_key, secret) == pair
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "network_key.issued"))
    assert event.actor_type == "system"


@pytest.mark.parametrize(("args", "message"), [
    (["--mode", "staging", "--label", "x"], "'staging' is not one of 'test', 'production'"),
    (["--mode", "production", "--label", "  "], "Give the key pair a label"),
])
def test_cli_issue_explains_bad_input_and_writes_nothing(cli, db, args, message):
    result = cli("network-keys", "issue", *args)
    assert result.exit_code != 0 and message in result.output
    assert _pairs(db) == []


def test_cli_revoke_takes_the_public_key_and_the_pair_stops_working(cli, db):
    issued = issue_pair("production", "Billing back end")
    result = cli("network-keys", "revoke", issued.key.public_key)
    assert result.exit_code == 0 and "Revoked production key pair" in result.output
    db.session.refresh(issued.key)
    assert verify_pair(issued.key.public_key, issued.secret) is None
    again = cli("network-keys", "revoke", issued.key.public_key)
    assert again.exit_code == 0 and "already revoked" in again.output
    assert _audits(db, "network_key.revoked") == 1


def test_cli_revoke_explains_an_unknown_key_or_a_secret_passed_by_mistake(cli, db):
    issued = issue_pair("test", "Staging sync")
    unknown = cli("network-keys", "revoke", "npk_live_doesnotexist")
    assert unknown.exit_code != 0 and "No key pair has public key 'npk_live_doesnotexist'" in unknown.output
    mistaken = cli("network-keys", "revoke", issued.secret)
    assert mistaken.exit_code != 0 and "That is a secret key" in mistaken.output
    assert issued.secret not in mistaken.output  # never echoed back
    db.session.refresh(issued.key)
    assert issued.key.revoked_at is None and _audits(db, "network_key.revoked") == 0


def test_settings_choose_the_offer_for_network_api_transactions(client, db, make, admin):
    offer = make.offer(name="Subscriptions")
    make.offer(name="Gone", status="deleted")
    page = client.get("/staff/settings").get_data(as_text=True)
    assert f"#{offer.id} Subscriptions" in page and "Gone" not in page
    form = {"network_name": "Partner Network", "timezone": "UTC", "currency": "USD",
            "partner_postbacks_enabled": "y", "network_api_offer_id": str(offer.id)}
    assert client.post("/staff/settings", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(NetworkSettings, 1).network_api_offer_id == offer.id
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.changed")).one()
    assert event.detail["network_api_offer_id"] == {"from": None, "to": offer.id}
    assert client.post("/staff/settings", data={**form, "network_api_offer_id": "0"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(NetworkSettings, 1).network_api_offer_id is None
    refused = client.post("/staff/settings", data={**form, "network_api_offer_id": "999999"})
    assert refused.status_code == 400
