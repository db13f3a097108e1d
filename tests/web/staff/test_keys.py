"""Staff API tab: issue with confirmation, reveal, revoke, allowlists and export; permissions for each."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select

from portal.models import KEY_PERMISSIONS, ApiKey, AuditEvent
from portal.services.keys import issue_key

AM_PERMISSIONS = ["partners:view", "partners:manage"]


def _audits(db, action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def _keys(db, partner) -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).where(ApiKey.partner_id == partner.id)))


@pytest.fixture
def admin(admin, login_as):
    """The conftest's admin, having confirmed who they are: issuing shows the new secret in full."""
    login_as.confirm_identity()
    return admin


@pytest.fixture
def am(make, login_as):
    user = make.staff(permissions=AM_PERMISSIONS, email="am@network.test")
    login_as.staff(user)
    login_as.confirm_identity()
    return user


def test_admin_issues_a_key_and_sees_it_once_with_date_and_creator(client, db, make, admin):
    partner = make.partner()
    page = client.get(f"/staff/partners/{partner.id}/api").get_data(as_text=True)
    assert "Are you sure you want to create a new API key?" in page  # the confirmation dialog
    response = client.post(f"/staff/partners/{partner.id}/api/keys/new", data={"label": "Looker reporting"})
    assert response.status_code == 302
    [key] = _keys(db, partner)
    assert key.label == "Looker reporting" and key.created_by_id == admin.id
    assert _audits(db, "api_key.issued") == 1
    shown = client.get(f"/staff/partners/{partner.id}/api").get_data(as_text=True)
    secret = re.search(r'id="new-key".*?value="(afk_live_\w+)"', shown, re.S).group(1)
    assert key.prefix in secret and "Ada Admin" in shown
    assert datetime.now(UTC).strftime("%Y-%m-%d") in shown
    # Shown once, to its issuer: the next view masks it again.
    assert secret not in client.get(f"/staff/partners/{partner.id}/api").get_data(as_text=True)


def test_the_confirmation_page_works_without_javascript(client, make, admin):
    partner = make.partner()
    page = client.get(f"/staff/partners/{partner.id}/api/keys/new")
    assert page.status_code == 200 and b"Are you sure you want to create a new API key?" in page.data


@pytest.mark.parametrize("risk", [{"onboarding": "onboarding"}, {"fraud_flag": True}])
def test_a_risky_partner_needs_an_explicit_acknowledgement(client, db, make, admin, risk):
    partner = make.partner(**risk)
    page = client.get(f"/staff/partners/{partner.id}/api").get_data(as_text=True)
    assert "still in onboarding" in page or "fraud flag" in page
    refused = client.post(f"/staff/partners/{partner.id}/api/keys/new", data={"label": "Script"})
    assert refused.status_code == 400 and b"Tick the acknowledgement" in refused.data
    assert _keys(db, partner) == []
    accepted = client.post(f"/staff/partners/{partner.id}/api/keys/new",
                           data={"label": "Script", "acknowledge_risk": "y"})
    assert accepted.status_code == 302 and len(_keys(db, partner)) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_key.issued"))
    assert event.detail["risks_acknowledged"]


@pytest.mark.parametrize("label", ["", "   ", "x" * 101])
def test_a_key_needs_a_sensible_label(client, db, make, admin, label):
    partner = make.partner()
    response = client.post(f"/staff/partners/{partner.id}/api/keys/new", data={"label": label})
    assert response.status_code == 400 and _keys(db, partner) == []


def test_reveal_returns_the_key_and_is_audited_each_time(client, db, make, admin, login_as):
    login_as.confirm_identity()
    partner = make.partner()
    issued = issue_key(partner, "BI tool", actor=admin)
    url = f"/staff/partners/{partner.id}/api/keys/{issued.key.id}/reveal"
    for expected in (1, 2):
        response = client.post(url, headers={"Accept": "application/json"})
        assert response.get_json() == {"key": issued.secret}
        assert _audits(db, "api_key.revealed") == expected
    page = client.post(url)  # without JavaScript: a page with the key
    assert issued.secret.encode() in page.data


def test_revoke_asks_first_then_revokes(client, db, make, admin):
    partner = make.partner()
    key = issue_key(partner, "Old script", actor=admin).key
    url = f"/staff/partners/{partner.id}/api/keys/{key.id}/revoke"
    assert b"Revoke" in client.get(url).data and db.session.get(ApiKey, key.id).revoked_at is None
    assert client.post(url).status_code == 302
    db.session.refresh(key)
    assert key.revoked_at is not None and key.revoked_by_id == admin.id
    client.post(url)  # twice is harmless
    assert _audits(db, "api_key.revoked") == 1


def test_allowlist_is_validated_with_clear_messages(client, db, make, admin):
    partner = make.partner()
    key = issue_key(partner, "Server", actor=admin).key
    url = f"/staff/partners/{partner.id}/api/keys/{key.id}/allowlist"
    bad = client.post(url, data={"allowlist": "203.0.113.7\n10.0.0.1/24\nnot-an-ip"})
    assert bad.status_code == 400
    assert b"10.0.0.1/24: the range has host bits set; did you mean 10.0.0.0/24?" in bad.data
    assert b"not-an-ip: not an IPv4 or IPv6 address or CIDR range" in bad.data
    db.session.refresh(key)
    assert key.ip_allowlist == []
    good = client.post(url, data={"allowlist": "203.0.113.7, 2001:db8::/32\n::ffff:198.51.100.0/120"})
    assert good.status_code == 302
    db.session.refresh(key)
    assert key.ip_allowlist == ["203.0.113.7/32", "2001:db8::/32", "198.51.100.0/24"]
    client.post(url, data={"allowlist": ""})
    db.session.refresh(key)
    assert key.ip_allowlist == []
    assert _audits(db, "api_key.allowlist_changed") == 2


@pytest.mark.parametrize("action", ["reveal", "revoke", "allowlist"])
def test_another_partners_key_is_not_found_under_this_partner(client, db, make, admin, login_as, action):
    login_as.confirm_identity()
    mine, theirs = make.partner(), make.partner()
    key = issue_key(theirs, "Theirs", actor=admin).key
    response = client.post(f"/staff/partners/{mine.id}/api/keys/{key.id}/{action}", data={"allowlist": "1.2.3.4"})
    assert response.status_code == 404
    db.session.refresh(key)
    assert key.revoked_at is None and key.ip_allowlist == []


def test_an_account_manager_without_key_permissions_is_forbidden_and_changes_nothing(client, db, make, am):
    partner = make.partner()
    key = issue_key(partner, "Existing", actor=None).key
    tab = client.get(f"/staff/partners/{partner.id}/api")
    assert tab.status_code == 200 and b"Existing" in tab.data  # partners:view sees the table
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    base = f"/staff/partners/{partner.id}/api/keys"
    for method, url in [("GET", f"{base}/new"), ("POST", f"{base}/new"), ("POST", f"{base}/{key.id}/reveal"),
                        ("GET", f"{base}/{key.id}/revoke"), ("POST", f"{base}/{key.id}/revoke"),
                        ("POST", f"{base}/{key.id}/allowlist")]:
        response = client.open(url, method=method, data={"label": "Sneaky", "allowlist": "1.2.3.4"})
        assert response.status_code == 403 and b"Forbidden" in response.data, url
    db.session.refresh(key)
    assert len(_keys(db, partner)) == 1 and key.revoked_at is None and key.ip_allowlist == []
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


@pytest.mark.parametrize("permission", KEY_PERMISSIONS)
def test_either_key_permission_allows_issuing(client, db, make, login_as, permission):
    login_as.staff(make.staff(permissions=["partners:view", permission]))
    login_as.confirm_identity()
    partner = make.partner()
    assert client.post(f"/staff/partners/{partner.id}/api/keys/new", data={"label": "X"}).status_code == 302
    assert len(_keys(db, partner)) == 1


def test_export_the_keys_table_as_csv_and_json(client, db, make, admin):
    partner = make.partner()
    first = issue_key(partner, "=HYPERLINK(\"http://evil\")", actor=admin)
    second = issue_key(partner, "Looker", actor=admin)
    client.post(f"/staff/partners/{partner.id}/api/keys/{second.key.id}/revoke")
    today = datetime.now(UTC).strftime("%Y-%m-%d")

    csv = client.get(f"/staff/partners/{partner.id}/api/export.csv")
    assert csv.headers["Content-Disposition"] == f'attachment; filename="api_keys_{partner.partner_key}_{today}.csv"'
    body = csv.get_data(as_text=True)
    assert first.secret not in body and second.secret not in body  # masked, never usable
    frame = pd.read_csv(io.StringIO(body))
    assert len(frame) == 2
    assert set(frame["label"]) == {"'=HYPERLINK(\"http://evil\")", "Looker"}  # formula-safe
    assert set(frame["status"]) == {"active", "revoked"}
    assert set(frame["created_by"]) == {"Ada Admin"} and set(frame["created_by_email"]) == {"admin@network.test"}

    data = client.get(f"/staff/partners/{partner.id}/api/export.json")
    assert data.mimetype == "application/json"
    records = json.loads(data.data)
    assert {r["label"] for r in records} == {"=HYPERLINK(\"http://evil\")", "Looker"}
    assert all(r["key"].endswith("••••••••") for r in records)
    assert {r["created_by"] for r in records} == {"Ada Admin"}

    # One time format in both files: ISO 8601 in UTC with a Z, to the second, the same text in each.
    iso_z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
    by_label = {r["label"]: r for r in records}
    for row in frame.to_dict("records"):
        record = by_label[row["label"].removeprefix("'")]
        for column in ("created_at", "revoked_at"):
            if record[column] is None:
                assert pd.isna(row[column])
            else:
                assert iso_z.fullmatch(record[column]) and row[column] == record[column]
    revoked = by_label["Looker"]
    assert revoked["revoked_by"] == "Ada Admin" and revoked["revoked_by_email"] == "admin@network.test"
    stored = db.session.get(ApiKey, second.key.id)
    assert revoked["revoked_at"] == stored.revoked_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_export_names_the_operator_for_keys_issued_from_the_command_line(client, make, admin):
    partner = make.partner()
    issue_key(partner, "Issued by the CLI", actor=None)
    [record] = client.get(f"/staff/partners/{partner.id}/api/export.json").json
    assert record["created_by"] == "operator" and record["created_by_email"] is None
    assert record["revoked_at"] is None and record["revoked_by"] is None and record["last_used_at"] is None


def test_account_manager_sees_add_disabled_with_the_reason_and_the_server_still_refuses(client, db, make, am):
    partner = make.partner()
    page = client.get(f"/staff/partners/{partner.id}/api").get_data(as_text=True)
    button = re.search(r'<button[^>]*id="add-key"[^>]*>', page).group(0)
    assert "disabled" in button and 'aria-describedby="add-key-reason"' in button
    assert re.search(r'id="add-key-reason"[^>]*>Issuing keys needs the Security or Accounts-history permission<',
                     page)
    assert "add-key-dialog" not in page and "/api/keys/new" not in page  # nothing to open, nowhere to go
    response = client.post(f"/staff/partners/{partner.id}/api/keys/new", data={"label": "Sneaky"})
    assert response.status_code == 403 and _keys(db, partner) == []


def test_admin_gets_a_revoke_dialog_per_active_key(client, make, admin):
    partner = make.partner()
    live = issue_key(partner, "Live", actor=admin)
    gone = issue_key(partner, "Gone", actor=admin)
    client.post(f"/staff/partners/{partner.id}/api/keys/{gone.key.id}/revoke")
    page = client.get(f"/staff/partners/{partner.id}/api").get_data(as_text=True)
    dialog = re.search(rf'<dialog id="revoke-dialog-{live.key.id}".*?</dialog>', page, re.S).group(0)
    assert f'action="/staff/partners/{partner.id}/api/keys/{live.key.id}/revoke"' in dialog
    assert "Revoke “Live”?" in dialog and "data-confirm-revoke" in dialog
    assert f'data-dialog="#revoke-dialog-{live.key.id}"' in page
    assert f"revoke-dialog-{gone.key.id}" not in page  # a revoked key has nothing left to revoke


def test_partner_sees_only_their_own_keys_in_full(client, db, make, login_as):
    a, b = make.partner(), make.partner()
    key_a = issue_key(a, "Mine", actor=None)
    key_b = issue_key(b, "Theirs", actor=None)
    revoked = issue_key(a, "Old", actor=None)
    from portal.services.keys import revoke_key
    revoke_key(revoked.key)
    login_as.partner(make.partner_user(a))
    response = client.get("/account/api")
    page = response.get_data(as_text=True)
    assert key_a.secret in page and key_b.secret not in page and revoked.secret not in page
    assert "Theirs" not in page and 'href="/docs"' in page
    assert "Treat it like a password" in page
    assert response.headers["Cache-Control"] == "no-store"  # a page with a secret is never cached
    assert _audits(db, "api_key.revealed") == 0  # a GET changes nothing, not even the audit log


def test_pages_and_answers_that_carry_a_key_are_never_cached(client, make, admin, login_as):
    login_as.confirm_identity()
    partner = make.partner()
    issued = issue_key(partner, "BI tool", actor=admin)
    client.post(f"/staff/partners/{partner.id}/api/keys/new", data={"label": "Fresh"})
    tab = client.get(f"/staff/partners/{partner.id}/api")
    assert "id=\"new-key\"" in tab.get_data(as_text=True) and tab.headers["Cache-Control"] == "no-store"
    url = f"/staff/partners/{partner.id}/api/keys/{issued.key.id}/reveal"
    for accept in ("application/json", "text/html"):
        assert client.post(url, headers={"Accept": accept}).headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/staff/partners/{partner}/api/keys/new", "/staff/settings/integrations/keys/new",
                                  "/staff/settings/integrations/eflow-keys/new"])
def test_issuing_any_key_needs_a_fresh_confirmation_first(client, db, make, login_as, path):
    """A new key is shown in full once: a stolen or unattended session must not be able to mint one."""
    login_as.staff(make.staff(email="full@network.test"))
    partner = make.partner()
    url = path.format(partner=partner.id)
    for response in (client.get(url), client.post(url, data={"label": "X", "mode": "production"})):
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/staff/confirm-identity?next=")
    assert db.session.scalar(select(func.count()).select_from(ApiKey)) == 0
    login_as.confirm_identity()
    assert client.get(url).status_code == 200
