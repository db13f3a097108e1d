"""In a real browser: an admin adds a key through the confirmation dialog and reveals it after confirming their
identity; a partner copies theirs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.models import ApiKey
from portal.services.keys import issue_key
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")


def test_admin_adds_a_key_through_the_confirmation(page, live_server, make, db):
    admin = make.staff(email="admin@network.test", name="Ada Admin")
    partner = make.partner(name="Bluebird Media")
    _sign_in(page, live_server.url + "/staff/login", admin.email)
    page.goto(f"{live_server.url}/staff/partners/{partner.id}/api")

    page.click("#add-key")
    dialog = page.locator("#add-key-dialog")
    assert dialog.is_visible()
    assert "Are you sure you want to create a new API key?" in dialog.text_content()
    dialog.locator("input[name=label]").fill("Looker reporting")
    page.click("#confirm-add-key")

    # A new key is shown in full once: first who is at the keyboard, then the key's own form.
    page.wait_for_url(re.compile(rf".*/staff/confirm-identity\?next=/staff/partners/{partner.id}/api/keys/new$"))
    expect(page.locator("h1")).to_have_text("Confirm your identity")
    assert db.session.scalar(select(ApiKey.id).where(ApiKey.partner_id == partner.id)) is None
    page.fill("input[name=password]", "not-my-password")
    page.click("#confirm-identity")
    expect(page.locator(".error")).to_contain_text("The password is not correct.")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("#confirm-identity")
    page.wait_for_url(f"**/staff/partners/{partner.id}/api/keys/new")
    expect(page.locator(".flash")).to_contain_text("Identity confirmed")
    page.fill("input[name=label]", "Looker reporting")
    page.click("main form button[type=submit]")

    page.wait_for_selector("#new-key")
    secret = page.input_value("#new-key-value")
    row = page.locator("#api-keys tbody tr").first
    assert "Looker reporting" in row.text_content() and "Ada Admin" in row.text_content()
    db.session.expire_all()
    [key] = db.session.scalars(select(ApiKey).where(ApiKey.partner_id == partner.id)).all()
    assert secret.startswith(key.prefix)

    # Reveal in place now; the masked value turns into the full key.
    row = page.locator("#api-keys tbody tr").first
    row.locator("form[data-reveal] button").click()
    expect(row.locator("[data-masked]")).to_have_text(secret)
    expect(row.locator("button[data-copy-key]")).to_be_visible()


def test_cancel_creates_nothing(page, live_server, make, db):
    admin = make.staff()
    partner = make.partner()
    _sign_in(page, live_server.url + "/staff/login", admin.email)
    page.goto(f"{live_server.url}/staff/partners/{partner.id}/api")
    page.click("#add-key")
    page.click("#add-key-dialog [data-close-dialog]")
    assert not page.locator("#add-key-dialog").is_visible()
    assert db.session.scalar(select(ApiKey.id).where(ApiKey.partner_id == partner.id)) is None


def test_account_manager_sees_add_disabled_with_the_reason(page, live_server, make):
    am = make.staff(permissions=["partners:view", "partners:manage"])
    partner = make.partner()
    _sign_in(page, live_server.url + "/staff/login", am.email)
    page.goto(f"{live_server.url}/staff/partners/{partner.id}/api")
    add = page.locator("#add-key")
    expect(add).to_be_disabled()
    expect(page.locator("#add-key-reason")).to_have_text(
        "Issuing keys needs the Security or Accounts-history permission")
    add.click(force=True)  # a click on a disabled button goes nowhere
    assert page.url.endswith(f"/staff/partners/{partner.id}/api")
    assert page.text_content("h1") != "Forbidden"


def test_admin_revokes_through_the_confirmation_dialog(page, live_server, make, db):
    admin = make.staff(email="admin@network.test", name="Ada Admin")
    partner = make.partner()
    keep = issue_key(partner, "Keep me", actor=admin)
    drop = issue_key(partner, "Drop me", actor=admin)
    _sign_in(page, live_server.url + "/staff/login", admin.email)
    page.goto(f"{live_server.url}/staff/partners/{partner.id}/api")

    # Cancel first: nothing changes.
    row = page.locator(f"#api-keys tr[data-key-id='{drop.key.id}']")
    row.locator("summary").click()
    row.locator("[data-revoke]").click()
    dialog = page.locator(f"#revoke-dialog-{drop.key.id}")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Revoke “Drop me”?")
    assert page.url.endswith(f"/staff/partners/{partner.id}/api")  # a dialog, not the fallback page
    dialog.locator("[data-close-dialog]").click()
    expect(dialog).to_be_hidden()
    db.session.expire_all()
    assert db.session.get(ApiKey, drop.key.id).revoked_at is None

    row.locator("summary").click()
    row.locator("[data-revoke]").click()
    dialog.locator("[data-confirm-revoke]").click()
    expect(page.locator(".flash")).to_contain_text("API key “Drop me” revoked.")
    db.session.expire_all()
    assert db.session.get(ApiKey, drop.key.id).revoked_at is not None
    assert db.session.get(ApiKey, keep.key.id).revoked_at is None


def test_partner_copies_their_key(page, live_server, make):
    partner = make.partner()
    user = make.partner_user(partner)
    issued = issue_key(partner, "Reporting script")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    _sign_in(page, live_server.url + "/login", user.email)
    page.click("text=Company")
    page.click(".menu-items >> text=API")
    card = page.locator("[data-key-card]")
    assert "Reporting script" in card.text_content()
    button = card.locator("button[data-copy-from]")
    button.click()
    expect(button).to_have_text("Copied!")
    assert page.evaluate("navigator.clipboard.readText()") == issued.secret
