"""Conversion intake: the partner's payout override, CPC offers, and sales credited by coupon code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.models import Conversion, CouponCode, ReportRollup
from portal.services import rollups
from tests.tracking.test_intake import conversion


def coupon(db, partner, offer, code: str, **fields) -> CouponCode:
    row = CouponCode(partner_id=partner.id, offer_id=offer.id, code=code, **fields)
    db.session.add(row)
    db.session.commit()
    return row


def postback(client, token, **params):
    return client.get("/postback", query_string={"token": token, **params})


def conversion_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Conversion))


@pytest.mark.parametrize(("offer_rule", "override", "amount", "expected"), [
    (("flat", 500), ("flat", 900), "50.00", 900),  # the partner's flat amount
    (("flat", 500), ("percent", 2000), "50.00", 1000),  # 20 % of 50.00 for this partner
    (("percent", 1000), ("flat", 300), "50.00", 300),
    (("flat", 500), ("cpc", 25), "50.00", 0),  # paid per click: the conversion earns nothing
    (("cpc", 25), None, "50.00", 0),
    (("cpc", 25), ("flat", 700), "50.00", 700),
    (("flat", 500), None, "50.00", 500),  # no override: the offer's own rule
])
def test_the_partners_payout_override_wins_over_the_offers(client, db, make, network_token, offer_rule, override,
                                                           amount, expected):
    partner, other = make.partner(), make.partner()
    offer = make.offer(payout_type=offer_rule[0], payout_amount=offer_rule[1], network_revenue_amount=800)
    if override:
        make.access(partner, offer, payout_type=override[0], payout_amount=override[1])
    make.access(other, offer)  # another partner's standing changes nothing here
    click = make.click(partner, offer)
    response = postback(client, network_token, transaction_id=click.transaction_id, amount=amount)
    assert response.status_code == 200, response.json
    row = conversion(db, response.json["conversion_id"])
    assert row.payout_cents == expected
    # Without a click too, and the rollups count exactly what the conversion earned.
    no_click = postback(client, network_token, affiliate_id=partner.id, offer_id=offer.id, order_id="O-1",
                        amount=amount)
    assert conversion(db, no_click.json["conversion_id"]).payout_cents == expected
    written = db.session.scalar(select(func.sum(ReportRollup.earnings_cents))
                                .where(ReportRollup.partner_id == partner.id))
    rollups.rebuild(db.session, [partner.id])
    db.session.commit()
    assert written == db.session.scalar(select(func.sum(ReportRollup.earnings_cents))
                                        .where(ReportRollup.partner_id == partner.id))


def test_a_coupon_code_credits_its_partner_without_a_click_or_affiliate_id(client, db, make, network_token):
    owner, offer = make.partner(), make.offer(payout_amount=650)
    make.access(owner, offer, payout_type="flat", payout_amount=800)
    coupon(db, owner, offer, "SPRING25")
    response = postback(client, network_token, offer_id=offer.id, coupon_code="SPRING25", order_id="S-1",
                        amount="40.00")
    assert response.status_code == 200, response.json
    row = conversion(db, response.json["conversion_id"])
    assert (row.partner_id, row.coupon_code, row.transaction_id, row.payout_cents) == (owner.id, "SPRING25", None, 800)
    again = postback(client, network_token, offer_id=offer.id, coupon_code="SPRING25", order_id="S-1")
    assert again.json == response.json | {"result": "duplicate"}
    with_id = postback(client, network_token, offer_id=offer.id, coupon_code="SPRING25", order_id="S-2",
                       affiliate_id=owner.id)
    assert with_id.status_code == 200 and conversion(db, with_id.json["conversion_id"]).partner_id == owner.id


def test_another_partners_coupon_code_is_a_422_that_says_so(client, db, make, network_token):
    owner, intruder, offer = make.partner(), make.partner(), make.offer()
    coupon(db, owner, offer, "OWNED", status="paused")  # paused or not, the code is not the intruder's
    response = postback(client, network_token, offer_id=offer.id, coupon_code="OWNED", order_id="X-1",
                        affiliate_id=intruder.id)
    assert response.status_code == 422
    assert response.json["error"].startswith("coupon_code:") and "another affiliate" in response.json["error"]
    assert conversion_count(db) == 0


@pytest.mark.parametrize("fields", [
    {"status": "paused"},
    {"start_date": date.today() + timedelta(days=2)},  # not started (a day's margin either side of UTC)
    {"end_date": date.today() - timedelta(days=2)},  # ended
])
def test_a_coupon_code_outside_its_dates_or_paused_credits_no_one(client, db, make, network_token, fields):
    owner, offer = make.partner(), make.offer()
    coupon(db, owner, offer, "CODE1", **fields)
    response = postback(client, network_token, offer_id=offer.id, coupon_code="CODE1", order_id="D-1")
    assert response.status_code == 422 and response.json["error"].startswith("coupon_code:")
    assert conversion_count(db) == 0
    # Naming the affiliate still records the sale for it (the code is its own).
    named = postback(client, network_token, offer_id=offer.id, coupon_code="CODE1", order_id="D-1",
                     affiliate_id=owner.id)
    assert named.status_code == 200 and conversion(db, named.json["conversion_id"]).partner_id == owner.id


def test_a_coupon_code_is_the_offers_own(client, db, make, network_token):
    owner, offer, other_offer = make.partner(), make.offer(), make.offer()
    today = datetime.now(UTC).date()
    coupon(db, owner, other_offer, "ELSEWHERE", start_date=today - timedelta(days=1), end_date=today + timedelta(days=1))
    unknown = postback(client, network_token, offer_id=offer.id, coupon_code="ELSEWHERE", order_id="E-1")
    assert unknown.status_code == 422 and unknown.json["error"].startswith("coupon_code:")
    elsewhere = postback(client, network_token, offer_id=other_offer.id, coupon_code="ELSEWHERE", order_id="E-1")
    assert elsewhere.status_code == 200
    no_offer = postback(client, network_token, coupon_code="ELSEWHERE", order_id="E-2")
    assert no_offer.status_code == 400 and no_offer.json["error"].startswith("transaction_id:")
