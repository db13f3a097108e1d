"""In a real browser, with CSRF on: an admin creates an offer with a thumbnail, uploads a banner and sees it
shown, and approves an application from the queue (the partner gets a notice)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db as _db
from portal.models import Creative, Offer, OfferAccess, PartnerNotice
from tests.conftest import TEST_PASSWORD
from tests.web.staff.offer_helpers import png

pytestmark = pytest.mark.browser


@pytest.fixture
def app(make_app, tmp_path):
    app = make_app(STORAGE_DIR=str(tmp_path / "files"), WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        _db.session.remove()


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url + "/staff/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")


def _loaded(page, selector: str) -> int:
    """The natural width of an image once the browser has it (0: it did not load)."""
    page.wait_for_function(f"document.querySelector({selector!r}).complete")
    return page.eval_on_selector(selector, "img => img.naturalWidth")


def test_an_admin_builds_an_offer_with_pictures_and_approves_an_application(page, live_server, make, db, tmp_path):
    admin = make.staff(email="admin@network.test")
    _sign_in(page, live_server.url, admin.email)
    page.goto(live_server.url + "/staff/offers/new")
    page.fill("input[name=name]", "Orbit VPN")
    page.select_option("select[name=visibility]", "require_approval")
    page.fill("textarea[name=description]", '<p>Fast <b>VPN</b></p><img src=x onerror="document.title=1">')
    page.fill("input[name=destination_url]", "https://orbit.example/?c={transaction_id}")
    page.fill("input[name=payout]", "12.50")
    thumbnail = tmp_path / "thumb.png"
    thumbnail.write_bytes(png(64, 48))
    page.set_input_files("input[name=thumbnail]", str(thumbnail))
    page.click("#offer-form button[type=submit]")

    page.wait_for_selector("#summary")
    db.session.expire_all()
    offer = db.session.scalars(select(Offer)).one()
    assert page.url.endswith(f"/staff/offers/{offer.id}") and offer.payout_amount == 1250
    assert _loaded(page, "#summary img.thumbnail") == 64
    assert page.title() != "1" and "<b>VPN</b>" in page.inner_html("#summary .description")

    page.click("text=Add a creative")
    page.fill("input[name=name]", "Leaderboard")
    banner = tmp_path / "banner.png"
    banner.write_bytes(png(728, 90))
    page.set_input_files("input[name=file]", str(banner))
    page.click("#item-form button[type=submit]")
    page.wait_for_selector("#creatives img.creative-preview")
    assert _loaded(page, "#creatives img.creative-preview") == 728
    assert db.session.scalars(select(Creative)).one().width == 728

    partner = make.partner(name="Bluebird Media")
    db.session.add(OfferAccess(partner_id=partner.id, offer_id=offer.id, status="pending", application_note="Hi"))
    db.session.commit()
    page.goto(live_server.url + "/staff/offers/applications")
    row = page.locator("#applications tbody tr", has_text="Bluebird Media")
    row.locator("input[name=reason]").fill("Welcome aboard")
    row.locator("button[value=approve]").click()
    page.wait_for_selector("text=No applications are waiting.")
    db.session.expire_all()
    notice = db.session.scalars(select(PartnerNotice)).one()
    assert notice.title == "Your application to Orbit VPN was approved" and notice.body == "Welcome aboard"
