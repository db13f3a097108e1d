"""In a real browser: a partner opens an offer from the Offers page, types sub IDs into the link builder and
sees the link follow as they type (an error for a value the offer refuses), copies it, and applies to an
offer that needs approval."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.web.partner import offer_world

pytestmark = pytest.mark.browser


@pytest.fixture
def app(make_app, tmp_path):
    # CSRF on, as in production (Apply and Mark read carry the token).
    app = make_app(WTF_CSRF_ENABLED=True, STORAGE_DIR=str(tmp_path / "files"))
    with app.app_context():
        yield app


def test_partner_builds_and_copies_a_tracking_link(app, db, page, live_server, make, sign_in):
    w = offer_world.build(app, db, make)
    user = make.partner_user(w.partner)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, live_server.url, user.email)

    page.click("nav >> text=Offers")
    page.click(f"#offer-table tr[data-offer-id='{w.public.id}'] a")
    link = page.locator("#tracking-link")
    expect(link).to_have_text(f"{live_server.url}/c/{w.partner.id}/{w.public.id}")
    expect(page.locator(f".creative[data-creative-id='{w.image.id}'] img")).to_have_js_property("naturalWidth", 1)

    page.fill("#builder-sub1", "spring sale")
    expect(link).to_have_text(f"{live_server.url}/c/{w.partner.id}/{w.public.id}?sub1=spring%20sale")
    page.select_option("#builder-url_id", str(w.landing.id))
    page.fill("#builder-source_id", "newsletter")
    expect(link).to_contain_text("source_id=newsletter")

    # A value the offer refuses: the error names the field, there is no link to copy; fixing it brings it back.
    page.fill("#builder-deep_link", "ftp://advertiser.example/")
    expect(page.locator("#link-error")).to_contain_text("Deep link:")
    expect(link).to_have_text("")
    expect(page.locator("#copy-link")).to_be_disabled()
    page.fill("#builder-deep_link", "")
    expect(page.locator("#link-error")).to_be_hidden()

    page.click("#copy-link")
    expect(page.locator("#copy-link")).to_have_text("Copied!")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == link.text_content()
    parts = urlsplit(copied)
    assert parts.path == f"/c/{w.partner.id}/{w.public.id}"
    assert parse_qs(parts.query) == {"uid": [str(w.landing.id)], "sub1": ["spring sale"],
                                     "source_id": ["newsletter"]}


def test_partner_applies_to_an_offer(app, db, page, live_server, make, sign_in):
    w = offer_world.build(app, db, make)
    sign_in(page, live_server.url, make.partner_user(w.partner).email)
    page.goto(live_server.url + "/offers?tab=all")
    page.click(f"#offer-table tr[data-offer-id='{w.approval.id}'] >> text=Apply")
    expect(page.locator("#link-builder")).to_have_count(0)
    page.fill("#apply-note", "Search traffic, US only")
    page.click("#apply-button")
    expect(page.locator(".flash")).to_contain_text("Application sent")
    expect(page.locator("#application")).to_contain_text("Pending approval")
