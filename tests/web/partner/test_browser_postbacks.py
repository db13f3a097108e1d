"""In a real browser: a partner writes a postback (the preview fills in its latest conversion as it types),
saves it, sends a test to a real listener and reads the attempt on the page, then deletes the postback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD
from tests.factories import Listener

pytestmark = pytest.mark.browser


@pytest.fixture
def app(make_app):
    # CSRF on, as in production (the preview's fetch and every form carry the token); private destinations
    # allowed so that Send test reaches the listener on 127.0.0.1.
    app = make_app(WTF_CSRF_ENABLED=True, POSTBACK_ALLOW_PRIVATE_DESTINATIONS=True)
    with app.app_context():
        yield app


def test_partner_creates_a_postback_sends_a_test_and_sees_the_attempt(page, live_server, make):
    offer = make.offer(name="Acme Shoes")
    partner = make.partner(name="Bluebird Media")
    user = make.partner_user(partner)
    make.conversion(partner, offer, at=datetime.now(UTC) - timedelta(hours=1), sub1="spring",
                    transaction_id="tid-browser")

    with Listener() as listener:
        page.goto(live_server.url + "/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.click("nav >> text=Postbacks")
        expect(page.locator("#postback-table tbody")).to_contain_text("No postbacks yet.")
        page.click("#new-postback")

        # Only the fields of the chosen method show; the preview re-renders from the real conversion.
        page.check("input[name=delivery_method][value=html]")
        expect(page.locator("input[name=url]")).to_be_hidden()
        expect(page.locator("textarea[name=html_code]")).to_be_visible()
        page.check("input[name=delivery_method][value=postback]")
        template = listener.url + "/pb?click={transaction_id}&s={sub1}"
        page.fill("input[name=url]", template)
        expect(page.locator("#postback-preview")).to_have_text(listener.url + "/pb?click=tid-browser&s=spring")
        page.fill("input[name=url]", template + "&x={nope}")
        expect(page.locator("#postback-preview-error")).to_contain_text("unknown macro {nope}")
        page.fill("input[name=url]", template)
        expect(page.locator("#postback-preview-error")).to_be_hidden()
        expect(page.locator("#postback-preview")).to_have_text(listener.url + "/pb?click=tid-browser&s=spring")
        page.fill("textarea[name=description]", "Main tracker")
        page.click("#save-postback")

        expect(page.locator(".flash")).to_contain_text("Postback created")
        page.click("#send-test")
        attempt = page.locator("#attempt")
        expect(attempt).to_contain_text("Test sent: delivered")
        expect(attempt.locator("[data-field=status_code]")).to_have_text("200")
        expect(page.locator("#delivery-table tbody").first).to_contain_text("test")

    assert len(listener.requests) == 1
    assert parse_qs(urlsplit(listener.requests[0]).query) == {
        "click": ["test0000000000000000000000000000"], "s": ["sample_sub1"]}

    page.click("p.muted >> text=Postback #")
    page.click("#delete-postback")
    expect(page.locator("#delete-dialog")).to_be_visible()
    page.click("#confirm-delete")
    expect(page.locator(".flash")).to_contain_text("deleted")
    expect(page.locator("#postback-table tbody")).to_contain_text("No postbacks yet.")
