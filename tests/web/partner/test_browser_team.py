"""In a real browser: a partner admin invites a teammate as reports-only, the teammate accepts from the
received mail, signs in again later, and sees (and can open) only the pages of the role."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_PASSWORD
from tests.mailbox import link_in

pytestmark = pytest.mark.browser
NEW_PASSWORD = "reports-only-password"


@pytest.fixture
def app(mail_app):
    return mail_app


def test_an_invited_reports_only_teammate_sees_only_the_reports(chromium, page, live_server, make, mailbox, issue):
    partner = make.partner(name="Bluebird Media")
    issue(partner)  # the company has an API key: the admin sees the API page, the teammate must not
    admin = make.partner_user(partner, email="boss@bluebird.example", role="admin")

    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", admin.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    page.click("summary:text('Company')")
    page.click(".menu-items a:text('Users')")
    page.wait_for_url(live_server.url + "/account/users")
    page.fill("#invite-form input[name=email]", "reader@bluebird.example")
    page.select_option("#invite-form select[name=role]", "reports")
    page.click("#invite-form button[type=submit]")
    page.wait_for_url(live_server.url + "/account/users")
    assert page.locator('tr[data-invitation="reader@bluebird.example"]').count() == 1

    link = link_in(mailbox.wait(1)[0], "/invitation/")
    teammate = chromium.new_context().new_page()
    teammate.set_default_timeout(15_000)
    teammate.goto(live_server.url + link)
    assert "reader@bluebird.example" in teammate.text_content("main")
    teammate.fill("input[name=name]", "Robin Reader")
    teammate.fill("input[name=new_password]", NEW_PASSWORD)
    teammate.fill("input[name=confirm_password]", NEW_PASSWORD)
    teammate.click("button[type=submit]")
    teammate.wait_for_url(live_server.url + "/")

    teammate.click("text=Sign out")
    teammate.wait_for_url(live_server.url + "/login")
    teammate.fill("input[name=email]", "reader@bluebird.example")
    teammate.fill("input[name=password]", NEW_PASSWORD)
    teammate.click("button[type=submit]")
    teammate.wait_for_url(live_server.url + "/")

    nav = [text.strip() for text in teammate.locator("header nav > a").all_text_contents()]
    # Every role may find offers and read the traffic rules: whoever sends traffic needs both.
    assert nav == ["Dashboard", "Reports", "Conversions", "Offers", "Traffic rules", "Docs"]
    menu = [text.strip() for text in teammate.locator(".menu-items a").all_text_contents()]
    assert menu == ["Profile", "Payout details"]  # seen masked by every role, changed by the admin only
    teammate.click("header nav >> text=Reports")
    teammate.wait_for_url(live_server.url + "/reports")
    for path in ("/postbacks", "/account/api", "/account/users"):
        response = teammate.goto(live_server.url + path)
        assert response.status == 403, path
    teammate.context.close()

    page.reload()
    assert page.locator('tr[data-user="reader@bluebird.example"]').count() == 1
    assert page.locator('tr[data-invitation="reader@bluebird.example"]').count() == 0
