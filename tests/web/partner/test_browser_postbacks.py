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
        expect(page.locator("textarea[name=url]")).to_be_hidden()
        expect(page.locator("textarea[name=html_code]")).to_be_visible()
        page.check("input[name=delivery_method][value=postback]")
        template = listener.url + "/pb?click={transaction_id}&s={sub1}"
        page.fill("textarea[name=url]", template)
        expect(page.locator("#postback-preview")).to_have_text(listener.url + "/pb?click=tid-browser&s=spring")
        page.fill("textarea[name=url]", template + "&x={nope}")
        expect(page.locator("#postback-preview-error")).to_contain_text("unknown macro {nope}")
        page.fill("textarea[name=url]", template)
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


def test_macros_insert_themselves_at_the_cursor(page, live_server, make):
    user = make.partner_user(make.partner())
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.goto(live_server.url + "/postbacks/new")
    box = page.locator("textarea[name=url]")

    # Never placed: the macro goes at the end.
    box.fill("https://tracker.example/pb?click=")
    page.evaluate("document.activeElement.blur()")
    page.click("[data-insert-macro='{transaction_id}']")
    expect(box).to_have_value("https://tracker.example/pb?click={transaction_id}")
    expect(box).to_be_focused()  # a pointer click leaves the cursor in the box, after the macro

    # At the cursor, in the middle of the URL, and replacing a selection.
    box.fill("https://tracker.example/pb?a=&b=2")
    box.evaluate("(el) => el.setSelectionRange(29, 29)")  # right after "a="
    page.click("[data-insert-macro='{sub1}']")
    expect(box).to_have_value("https://tracker.example/pb?a={sub1}&b=2")
    box.evaluate("(el) => el.setSelectionRange(el.value.length - 1, el.value.length)")  # the "2"
    page.click("[data-insert-macro='{payout}']")
    expect(box).to_have_value("https://tracker.example/pb?a={sub1}&b={payout}")
    expect(page.locator("#postback-preview")).to_contain_text("b=")  # the preview follows the insertion

    # From the keyboard: Enter on a focused macro button inserts it and keeps focus on the button.
    box.evaluate("(el) => el.setSelectionRange(el.value.length, el.value.length)")
    box.press("End")
    sub2 = page.locator("[data-insert-macro='{sub2}']")
    box.type("&c=")
    sub2.focus()
    page.keyboard.press("Enter")
    expect(box).to_have_value("https://tracker.example/pb?a={sub1}&b={payout}&c={sub2}")
    expect(sub2).to_be_focused()
    expect(page.locator("#macro-status")).to_have_text("Inserted {sub2} into the URL.")
    page.keyboard.press("Space")
    expect(box).to_have_value("https://tracker.example/pb?a={sub1}&b={payout}&c={sub2}{sub2}")

    # Enter in the URL box adds no line break; a pasted one is taken out.
    box.press("Enter")
    assert "\n" not in box.input_value()
    box.evaluate("(el) => { el.value = 'https://tracker.example/a\\n/b'; el.dispatchEvent(new Event('input')); }")
    expect(box).to_have_value("https://tracker.example/a/b")
