"""Offers over the Affiliate API: Everflow's paths and names, tracking links only for runnable offers, 404 for
what the partner may not see (another partner's codes, feeds, creatives, a private offer, huge ids), 400
naming the field, applications audited, files streamed from the store."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import current_app
from sqlalchemy import select

from portal.models import AuditEvent, CouponCode, Creative, OfferAccess, OfferUrl, ProductFeed
from portal.storage import store_for

V1 = "/v1/affiliates"
HUGE = 2**63


@pytest.fixture
def app(unbudgeted_app, tmp_path):
    unbudgeted_app.config.update(TRACKING_BASE_URL="https://track.example", STORAGE_DIR=str(tmp_path / "files"))
    return unbudgeted_app


class Caller:
    def __init__(self, client, key: str) -> None:
        self.client, self.key = client, key

    def __call__(self, method: str, path: str, body=None):
        kwargs = {"json": body} if body is not None else {}
        return self.client.open(V1 + path, method=method, headers={"X-Eflow-API-Key": self.key}, **kwargs)


def add(db, row):
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def world(db, make, issue, client):
    alpha, beta = make.partner(), make.partner()
    public = make.offer(name="Acme Shoes", category="Fashion", payout_amount=750,
                        description="<p>Shoes</p>", deep_links_allowed=True, daily_click_cap=100)
    approval = make.offer(name="Zen Tea", visibility="require_approval")
    private = make.offer(name="Secret", visibility="private")
    add(db, OfferAccess(partner_id=beta.id, offer_id=private.id, status="approved"))
    page = add(db, OfferUrl(offer_id=public.id, name="Pricing", destination_url="https://acme.example/p"))
    key = store_for(current_app).save(io.BytesIO(b"\x89PNG banner"), ".png")
    banner = add(db, Creative(offer_id=public.id, name="Banner", creative_type="image", file_key=key,
                              filename="banner.png", content_type="image/png", file_size=11, width=300, height=250))
    feed_key = store_for(current_app).save(io.BytesIO(b"sku,price\n1,2\n"), ".csv")
    feed = add(db, ProductFeed(offer_id=public.id, name="Feed", file_key=feed_key, filename="feed.csv",
                               content_type="text/csv", file_size=14))
    beta_feed = add(db, ProductFeed(offer_id=private.id, name="Theirs", file_key=feed_key, filename="t.csv",
                                    content_type="text/csv", file_size=14))
    mine = add(db, CouponCode(offer_id=public.id, partner_id=alpha.id, code="ALPHA10"))
    theirs = add(db, CouponCode(offer_id=public.id, partner_id=beta.id, code="BETA10"))
    return dict(alpha=alpha, beta=beta, public=public, approval=approval, private=private, page=page, banner=banner,
                feed=feed, beta_feed=beta_feed, mine=mine, theirs=theirs, call=Caller(client, issue(alpha)),
                beta_call=Caller(client, issue(beta)))


def test_alloffers_and_offersrunnable_in_everflows_shape(world):
    call, alpha, public = world["call"], world["alpha"], world["public"]
    every = call("GET", "/alloffers")
    assert every.status_code == 200
    assert every.json["paging"] == {"page": 1, "page_size": 50, "total_count": 2}
    offers = {o["network_offer_id"]: o for o in every.json["offers"]}
    assert set(offers) == {public.id, world["approval"].id}  # not the private one
    shoes = offers[public.id]
    assert shoes["tracking_url"] == f"https://track.example/c/{alpha.id}/{public.id}"
    assert shoes["impression_tracking_url"] == f"https://track.example/i/{alpha.id}/{public.id}"
    assert (shoes["offer_status"], shoes["visibility"], shoes["currency_id"]) == ("active", "public", "USD")
    assert shoes["html_description"] == "<p>Shoes</p>" and shoes["daily_click_cap"] == 100 and shoes["is_caps_enabled"]
    assert shoes["relationship"]["offer_affiliate_status"] == "public"
    assert shoes["relationship"]["payouts"]["entries"][0]["payout_amount"] == 7.5
    assert shoes["relationship"]["urls"]["total"] == 2 and shoes["relationship"]["creatives"]["total"] == 1
    tea = offers[world["approval"].id]
    assert tea["relationship"]["creatives"] == {"entries": [], "total": 0}
    assert tea["tracking_url"] == "" and tea["relationship"]["offer_affiliate_status"] == "require_approval"
    runnable = call("GET", "/offersrunnable").json
    assert [o["network_offer_id"] for o in runnable["offers"]] == [public.id]
    assert [o["network_offer_id"] for o in call("GET", "/alloffers?filter=name=tea").json["offers"]] == [
        world["approval"].id]
    assert call("GET", "/alloffers?category=Fashion").json["paging"]["total_count"] == 1


@pytest.mark.parametrize("query, field", [("page_size=0", "page_size"), ("offer_status=deleted", "offer_status"),
                                          ("filter=partner_id=1", "filter"), ("search=a%00b", "search")])
def test_bad_list_arguments_are_a_400_naming_the_field(world, query, field):
    response = world["call"]("GET", f"/alloffers?{query}")
    assert response.status_code == 400 and response.json["error"].startswith(f"{field}:")


def test_one_offer_lists_pages_and_creatives(world):
    public, banner = world["public"], world["banner"]
    found = world["call"]("GET", f"/offers/{public.id}").json
    assert found["is_allow_deep_link"] is True
    urls = found["relationship"]["urls"]
    assert urls["total"] == 2 and [u["network_offer_url_id"] for u in urls["entries"]] == [0, world["page"].id]
    creative = found["relationship"]["creatives"]["entries"][0]
    assert creative["network_offer_creative_id"] == banner.id and creative["width"] == 300
    with world["call"]("GET", urlsplit(creative["resource_url"]).path.removeprefix(V1)) as downloaded:
        assert downloaded.status_code == 200 and downloaded.data == b"\x89PNG banner"
        assert downloaded.headers["Content-Type"] == "image/png"
        assert "attachment" in downloaded.headers["Content-Disposition"]


def test_tracking_links(world):
    call, alpha, public = world["call"], world["alpha"], world["public"]
    assert call("GET", f"/offers/{public.id}/url/0").json == {"url": f"https://track.example/c/{alpha.id}/{public.id}"}
    page = world["page"].id
    assert call("GET", f"/offers/{public.id}/url/{page}").json["url"].endswith(f"?uid={page}")
    assert call("GET", f"/offers/{public.id}/impressionurl/0").json == {
        "url": f"https://track.example/i/{alpha.id}/{public.id}"}
    built = call("POST", f"/offers/{public.id}/trackingurl", {"sub1": "fb ad", "sub2": 42, "source_id": "s",
                                                              "url": "https://acme.example/x", "partner_id": 9})
    assert built.status_code == 200, built.json
    assert parse_qs(urlsplit(built.json["url"]).query) == {"sub1": ["fb ad"], "sub2": ["42"], "source_id": ["s"],
                                                           "url": ["https://acme.example/x"]}


@pytest.mark.parametrize("body, field", [
    ({"url_id": 999_999}, "url_id"), ({"url_id": HUGE}, "url_id"), ({"url_id": "1"}, "url_id"),
    ({"sub1": "x" * 501}, "sub1"), ({"sub2": "a\u0000b"}, "sub2"), ({"sub3": "\ud800"}, "sub3"),
    ({"sub4": ["a"]}, "sub4"), ({"creative_id": HUGE}, "creative_id"), ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "https://evil.example/"}, "url"), ({"url": "https://user@acme.example/"}, "url"),
    ({"url": "https://acme.example.evil.example/"}, "url"),
])
def test_a_bad_tracking_url_request_is_a_400_naming_the_field(world, body, field):
    response = world["call"]("POST", f"/offers/{world['public'].id}/trackingurl", body)
    assert response.status_code == 400 and response.json["error"].startswith(f"{field}:"), response.json


def test_no_link_for_an_offer_not_runnable(world):
    tea = world["approval"].id
    for method, path, body in (("GET", f"/offers/{tea}/url/0", None), ("GET", f"/offers/{tea}/impressionurl/0", None),
                               ("POST", f"/offers/{tea}/trackingurl", {})):
        response = world["call"](method, path, body)
        assert response.status_code == 400 and response.json["error"].startswith("network_offer_id:")


def test_applying_is_audited_and_a_second_application_is_a_409(db, world):
    tea = world["approval"].id
    applied = world["call"]("POST", f"/offers/{tea}/application", {"note": "Coupon site, 40k visits"})
    assert applied.status_code == 200 and applied.json["status"] == "pending"
    assert world["call"]("POST", f"/offers/{tea}/apply", {}).status_code == 409
    assert world["call"]("POST", f"/offers/{world['public'].id}/application").status_code == 409
    assert world["call"]("POST", f"/offers/{tea}/application", {"note": 5}).status_code == 400
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "offer.applied")).all()
    assert len(events) == 1 and events[0].actor_type == "api"
    detail = world["call"]("GET", f"/offers/{tea}").json
    assert detail["relationship"]["application"]["note"] == "Coupon site, 40k visits"
    assert detail["relationship"]["offer_affiliate_status"] == "pending"


def test_coupon_codes_and_product_feeds_are_the_partners_own(world):
    call, public = world["call"], world["public"]
    codes = call("GET", "/couponcodes").json
    assert [c["coupon_code"] for c in codes["coupon_codes"]] == ["ALPHA10"]
    assert codes["coupon_codes"][0]["tracking_link"].endswith(f"/c/{world['alpha'].id}/{public.id}")
    feeds = call("GET", f"/offers/{public.id}/productfeeds").json["product_feeds"]
    assert [f["network_advertiser_product_feed_id"] for f in feeds] == [world["feed"].id]
    assert call("GET", "/productfeeds").json["paging"]["total_count"] == 1
    assert call("POST", "/productfeeds", {"network_offer_ids": [world["private"].id]}).json["product_feeds"] == []
    asset = feeds[0]["relationship"]["document_file_asset"]
    with call("GET", urlsplit(asset["url"]).path.removeprefix(V1)) as downloaded:
        assert downloaded.data == b"sku,price\n1,2\n"
    theirs = world["beta_call"]("GET", "/productfeeds").json["product_feeds"]
    assert {f["network_advertiser_product_feed_id"] for f in theirs} == {world["feed"].id, world["beta_feed"].id}


def test_another_partners_ids_and_huge_ids_are_a_404(world):
    call, private, public = world["call"], world["private"].id, world["public"].id
    for path in (f"/offers/{private}", f"/offers/{private}/url/0", f"/offers/{private}/impressionurl/0",
                 f"/offers/{private}/productfeeds", f"/productfeeds/{world['beta_feed'].id}/file",
                 f"/offers/{HUGE}", f"/offers/{HUGE}/url/0", f"/offers/{public}/url/{HUGE}".replace(str(HUGE), "0")
                 .replace("/url/0", f"/creatives/{HUGE}/file"), f"/productfeeds/{HUGE}/file",
                 f"/offers/{private}/creatives/{world['banner'].id}/file", f"/offers/{HUGE}/productfeeds"):
        response = call("GET", path)
        assert response.status_code == 404 and response.json == {"error": "Not found"}, path
    for path in (f"/offers/{private}/trackingurl", f"/offers/{private}/application", f"/offers/{HUGE}/apply"):
        assert call("POST", path, {}).status_code == 404, path
        assert call("POST", path, {"sub1": "\x00", "note": 5}).status_code == 404, path  # before the body
    # The partner's own private grant opens it for them only.
    assert world["beta_call"]("GET", f"/offers/{private}").status_code == 200


def test_an_offers_thumbnail_url_serves_the_image_to_partners_who_may_see_the_offer(world, db):
    call, public, private = world["call"], world["public"], world["private"]
    assert call("GET", f"/offers/{public.id}").json["thumbnail_url"] == ""  # none uploaded: no URL to a 404
    assert call("GET", f"/offers/{public.id}/thumbnail").status_code == 404
    for offer in (public, private):
        offer.thumbnail_key = store_for(current_app).save(io.BytesIO(b"\x89PNG thumb"), ".png")
    db.session.commit()
    url = call("GET", f"/offers/{public.id}").json["thumbnail_url"]
    assert url.endswith(f"{V1}/offers/{public.id}/thumbnail")
    listed = {o["network_offer_id"]: o for o in call("GET", "/alloffers").json["offers"]}
    assert listed[public.id]["thumbnail_url"] == url
    with call("GET", urlsplit(url).path.removeprefix(V1)) as image:
        assert image.status_code == 200 and image.data == b"\x89PNG thumb"
        assert image.headers["Content-Type"] == "image/png" and image.headers["X-Content-Type-Options"] == "nosniff"
    for path in (f"/offers/{private.id}/thumbnail", f"/offers/{HUGE}/thumbnail"):  # not theirs to see
        response = call("GET", path)
        assert response.status_code == 404 and response.json == {"error": "Not found"}, path
    with world["beta_call"]("GET", f"/offers/{private.id}/thumbnail") as granted:
        assert granted.status_code == 200
