"""A partner's whole first day, in a real browser and over real HTTP: apply to an offer, get approved by the
network's staff, build a tracking link with a sub ID, follow it to the advertiser's landing page, and see
the conversion the advertiser reports for it in the partner's report, with the partner's postback fired.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import expect

from portal.delivery.worker import run_once
from portal.models import Click, Conversion, OfferAccess
from tests.conftest import TEST_PASSWORD
from tests.factories import Listener
from tests.tracking.conftest import NETWORK_TOKEN, network_token  # noqa: F401  (a fixture this test uses)

pytestmark = pytest.mark.browser


@pytest.fixture
def app(make_app):
    # CSRF on as in production; private destinations allowed so the postback reaches the listener here.
    app = make_app(WTF_CSRF_ENABLED=True, POSTBACK_ALLOW_PRIVATE_DESTINATIONS=True)
    with app.app_context():
        yield app


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")


def test_apply_approve_link_click_convert_report_postback(chromium, live_server, make, db, network_token):  # noqa: F811
    with Listener() as advertiser, Listener() as tracker:
        offer = make.offer(name="Lumen Lamps", visibility="require_approval",
                           destination_url=advertiser.url + "/landing?click={transaction_id}&s={sub1}&a={affiliate_id}")
        partner = make.partner(name="Bluebird Media")
        user = make.partner_user(partner)
        staff = make.staff(email="am@network.test", name="Avery Manager")
        make.server_postback(partner, url=tracker.url + "/pb?tid={transaction_id}&s={sub1}&amount={sale_amount}")

        partner_page = chromium.new_context().new_page()
        staff_page = chromium.new_context().new_page()
        for page in (partner_page, staff_page):
            page.set_default_timeout(15_000)

        # The partner finds the offer and applies: no link until the network approves.
        _sign_in(partner_page, live_server.url + "/login", user.email)
        partner_page.click("nav >> text=Offers")
        partner_page.click("text=All offers")
        partner_page.click("#offer-table >> text=Lumen Lamps")
        expect(partner_page.locator("#tracking-link")).to_have_count(0)
        partner_page.fill("#apply-note", "Email list of 40,000 lamp buyers")
        partner_page.click("#apply-button")
        expect(partner_page.locator("body")).to_contain_text("Pending")

        # An account manager approves it from the applications queue.
        _sign_in(staff_page, live_server.url + "/staff/login", staff.email)
        staff_page.goto(live_server.url + "/staff/offers/applications")
        row = staff_page.locator(f"#applications tr:has-text('Bluebird Media')")
        expect(row).to_contain_text("Email list of 40,000 lamp buyers")
        row.locator("input[name=reason]").fill("Welcome aboard")
        row.locator("button[value=approve]").click()
        expect(staff_page.locator(".flash")).to_contain_text("approved")
        assert db.session.query(OfferAccess).filter_by(partner_id=partner.id, offer_id=offer.id).one().status == "approved"

        # The partner is told, builds a link with sub1 and follows it to the advertiser's landing page.
        partner_page.reload()
        expect(partner_page.locator("body")).to_contain_text("approved")
        partner_page.fill("#builder-sub1", "spring-mail")
        expect(partner_page.locator("#tracking-link")).to_contain_text("sub1=spring-mail")
        link = partner_page.locator("#tracking-link").inner_text().strip()
        assert link.startswith(live_server.url + f"/c/{partner.id}/{offer.id}")
        partner_page.goto(link)
        landing = urlsplit(partner_page.url)
        assert f"{landing.scheme}://{landing.netloc}" == advertiser.url and landing.path == "/landing"
        values = parse_qs(landing.query)
        assert values["s"] == ["spring-mail"] and values["a"] == [str(partner.id)]
        transaction_id = values["click"][0]
        assert re.fullmatch(r"[0-9a-f]{32}", transaction_id)
        db.session.expire_all()
        click = db.session.query(Click).filter_by(transaction_id=transaction_id).one()
        assert (click.partner_id, click.offer_id, click.sub1, click.error_code) == (partner.id, offer.id, "spring-mail", None)

        # The advertiser reports the sale for that click; the conversion is the partner's.
        answer = requests.get(live_server.url + "/postback", params={
            "token": NETWORK_TOKEN, "transaction_id": transaction_id, "amount": "80.00", "order_id": "L-1"}, timeout=10)
        assert answer.status_code == 200, answer.text
        conversion = db.session.query(Conversion).filter_by(transaction_id=transaction_id).one()
        assert (conversion.partner_id, conversion.offer_id, conversion.sub1) == (partner.id, offer.id, "spring-mail")

        # The partner's postback fires with the click's values.
        assert run_once() >= 1
        assert len(tracker.requests) == 1
        assert parse_qs(urlsplit(tracker.requests[0]).query) == {
            "tid": [transaction_id], "s": ["spring-mail"], "amount": ["80.00"]}

        # The partner's report by sub1 shows the click and the conversion.
        partner_page.goto(live_server.url + "/reports?column=sub1")
        row = partner_page.locator("#report-table tbody tr:has-text('spring-mail')")
        expect(row.locator("[data-metric=total_click]")).to_have_text("1")
        expect(row.locator("[data-metric=cv]")).to_have_text("1")
