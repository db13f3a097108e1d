"""An Everflow-style script over real HTTP: the offer calls a partner's existing script makes, written against
Everflow's documented paths, names and paging, with only the base URL changed. (No published Everflow client
library is installable from the package registries this project uses, so the script is written here from
Everflow's documentation: it reads nothing but Everflow's field names.)"""

from __future__ import annotations

import pytest

from portal.models import OfferAccess, OfferUrl
from tests.browser import LiveServer
from tests.everflow_script import EverflowScript


@pytest.fixture
def app(unbudgeted_app):
    return unbudgeted_app


def test_an_everflow_script_runs_against_the_portal(app, make, issue, db):
    partner = make.partner()
    offers = [make.offer(name=f"Offer {n}") for n in range(5)]
    pending = make.offer(name="Needs approval", visibility="require_approval")
    db.session.add(OfferUrl(offer_id=offers[0].id, name="Pricing", destination_url="https://advertiser.example/p"))
    db.session.add(OfferAccess(partner_id=partner.id, offer_id=offers[4].id, status="blocked"))
    db.session.commit()
    key = issue(partner)

    with LiveServer(app) as server:
        script = EverflowScript(server.url, key)
        runnable = script.every_runnable_offer()
        assert sorted(o["network_offer_id"] for o in runnable) == sorted(o.id for o in offers[:4])
        for offer in runnable:
            link = script.call("GET", f"/v1/affiliates/offers/{offer['network_offer_id']}/url/0")["url"]
            assert link == offer["tracking_url"] and link.startswith(server.url)
        first = next(o for o in runnable if o["network_offer_id"] == offers[0].id)
        pricing = first["relationship"]["urls"]["entries"][1]["network_offer_url_id"]
        assert script.call("GET", f"/v1/affiliates/offers/{offers[0].id}/url/{pricing}")["url"].endswith(
            f"?uid={pricing}")
        visible = script.call("GET", "/v1/affiliates/alloffers")["offers"]
        assert pending.id in {o["network_offer_id"] for o in visible}
        applied = script.call("POST", f"/v1/affiliates/offers/{pending.id}/application", {"note": "Email list"})
        assert applied["status"] == "pending"
        assert script.call("GET", "/v1/affiliates/couponcodes") == {
            "coupon_codes": [], "paging": {"page": 1, "page_size": 50, "total_count": 0}}
