"""Conversion intake and coupon codes: a click and another affiliate's code, a code whose affiliate cannot run
the offer, and codes that differ only in case."""

from __future__ import annotations

import pytest

from tests.tracking.test_intake import conversion
from tests.tracking.test_intake_payouts import conversion_count, coupon, postback


def test_a_click_with_another_affiliates_active_code_is_refused_and_says_how_to_choose(client, db, make,
                                                                                     network_token):
    clicker, owner, offer = make.partner(), make.partner(), make.offer()
    coupon(db, owner, offer, "OWNERS10")
    click = make.click(clicker, offer)
    response = postback(client, network_token, transaction_id=click.transaction_id, coupon_code="owners10",
                        order_id="C-1")
    assert response.status_code == 422
    error = response.json["error"]
    assert error.startswith("coupon_code:") and "belongs to another affiliate than the click" in error
    assert "without transaction_id" in error and "without coupon_code" in error
    assert conversion_count(db) == 0
    # Either way round, as the error says, records the sale for the affiliate chosen.
    by_code = postback(client, network_token, offer_id=offer.id, coupon_code="OWNERS10", order_id="C-1")
    assert by_code.status_code == 200 and conversion(db, by_code.json["conversion_id"]).partner_id == owner.id
    by_click = postback(client, network_token, transaction_id=click.transaction_id, order_id="C-2")
    assert by_click.status_code == 200 and conversion(db, by_click.json["conversion_id"]).partner_id == clicker.id


@pytest.mark.parametrize("whose", ["the clickers", "paused", "another offers", "unknown"])
def test_a_click_with_its_own_or_no_active_code_of_the_offer_credits_the_click(client, db, make, network_token,
                                                                              whose):
    clicker, owner, offer, other_offer = make.partner(), make.partner(), make.offer(), make.offer()
    if whose == "the clickers":
        coupon(db, clicker, offer, "MINE")
    elif whose == "paused":
        coupon(db, owner, offer, "MINE", status="paused")
    elif whose == "another offers":
        coupon(db, owner, other_offer, "MINE")
    click = make.click(clicker, offer)
    response = postback(client, network_token, transaction_id=click.transaction_id, coupon_code="mine")
    assert response.status_code == 200, response.json
    row = conversion(db, response.json["conversion_id"])
    assert (row.partner_id, row.coupon_code) == (clicker.id, "mine")


@pytest.mark.parametrize(("standing", "reason"), [
    ({"visibility": "private"}, "cannot run offer"),  # never granted
    ({"visibility": "require_approval"}, "cannot run offer"),  # never approved
    ({"visibility": "require_approval", "access": "pending"}, "cannot run offer"),
    ({"visibility": "public", "access": "blocked"}, "cannot run offer"),
    ({"visibility": "public", "offer_status": "paused"}, "cannot run offer"),
    ({"visibility": "public", "partner_status": "suspended"}, "suspended"),
    ({"visibility": "public", "partner_status": "inactive"}, "inactive"),
])
def test_a_code_alone_credits_no_affiliate_that_cannot_run_the_offer_now(client, db, make, network_token, standing,
                                                                         reason):
    owner = make.partner(status=standing.get("partner_status", "active"))
    offer = make.offer(visibility=standing["visibility"], status=standing.get("offer_status", "active"))
    if "access" in standing:
        make.access(owner, offer, status=standing["access"])
    coupon(db, owner, offer, "GATED")
    response = postback(client, network_token, offer_id=offer.id, coupon_code="GATED", order_id="G-1")
    assert response.status_code == 422
    assert response.json["error"].startswith("coupon_code:") and reason in response.json["error"]
    assert conversion_count(db) == 0


@pytest.mark.parametrize("visibility", ["private", "require_approval"])
def test_a_code_alone_credits_an_approved_affiliate_on_a_gated_offer(client, db, make, network_token, visibility):
    owner, offer = make.partner(), make.offer(visibility=visibility)
    make.access(owner, offer, status="approved")
    coupon(db, owner, offer, "GRANTED")
    response = postback(client, network_token, offer_id=offer.id, coupon_code="GRANTED", order_id="G-2")
    assert response.status_code == 200, response.json
    assert conversion(db, response.json["conversion_id"]).partner_id == owner.id


@pytest.mark.parametrize("sent", ["spring25", "Spring25", "SPRING25"])
def test_codes_compare_ignoring_case(client, db, make, network_token, sent):
    owner, intruder, offer = make.partner(), make.partner(), make.offer()
    coupon(db, owner, offer, "SPRING25")
    credited = postback(client, network_token, offer_id=offer.id, coupon_code=sent, order_id="K-1")
    assert credited.status_code == 200 and conversion(db, credited.json["conversion_id"]).partner_id == owner.id
    refused = postback(client, network_token, offer_id=offer.id, coupon_code=sent, order_id="K-2",
                       affiliate_id=intruder.id)
    assert refused.status_code == 422 and "another affiliate" in refused.json["error"]


def test_legacy_codes_differing_only_in_case_credit_no_one_without_affiliate_id(client, db, make, network_token):
    first, second, offer = make.partner(), make.partner(), make.offer()
    coupon(db, first, offer, "TWIN")
    coupon(db, second, offer, "twin")  # saved before codes compared ignoring case
    response = postback(client, network_token, offer_id=offer.id, coupon_code="Twin", order_id="T-1")
    assert response.status_code == 422 and "several affiliates" in response.json["error"]
    named = postback(client, network_token, offer_id=offer.id, coupon_code="Twin", order_id="T-1",
                     affiliate_id=second.id)
    assert named.status_code == 200 and conversion(db, named.json["conversion_id"]).partner_id == second.id
