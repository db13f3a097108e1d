"""The offers façade: what a partner sees and runs, its payout, links, applications, codes and feeds, and
nothing of another partner's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.affiliate import AffiliateScope
from portal.domain.actors import Actor
from portal.domain.criteria import Page
from portal.domain.offers import ApplicationRefused, LinkRefused, LinkRequest, OfferFilters, OfferUnavailable
from portal.models import AuditEvent, CouponCode, Creative, OfferAccess, OfferUrl, ProductFeed

BASE = "https://track.example"


@pytest.fixture
def partner(make):
    return make.partner()


@pytest.fixture
def other(make):
    return make.partner()


def access(db, partner, offer, status, **fields):
    row = OfferAccess(partner_id=partner.id, offer_id=offer.id, status=status, **fields)
    db.session.add(row)
    db.session.commit()
    return row


def add(db, row):
    db.session.add(row)
    db.session.commit()
    return row


def listed(scope, **filters):
    return {o.offer_id: o for o in scope.offers(OfferFilters(**filters), Page(1, 100)).items}


def test_visibility_and_runnable_follow_the_access_rule(db, make, partner, other):
    public = make.offer(category="Finance")
    approval = make.offer(visibility="require_approval", category="Games")
    approved = make.offer(visibility="require_approval")
    private = make.offer(visibility="private")
    granted = make.offer(visibility="private")
    blocked = make.offer()
    paused = make.offer(status="paused")
    expired = make.offer(live_until=datetime.now(UTC) - timedelta(days=1))
    deleted = make.offer(status="deleted")
    access(db, partner, approved, "approved")
    access(db, partner, granted, "approved")
    access(db, partner, blocked, "blocked")
    access(db, other, private, "approved")  # another partner's grant opens nothing for this one

    scope = AffiliateScope(partner)
    offers = listed(scope)
    assert set(offers) == {public.id, approval.id, approved.id, granted.id, paused.id}
    assert {i for i, o in offers.items() if o.runnable} == {public.id, approved.id, granted.id}
    assert set(listed(scope, mine=True)) == {public.id, approved.id, granted.id}
    assert set(listed(scope, status="paused")) == {paused.id}
    assert set(listed(scope, category="Games")) == {approval.id}
    assert scope.offer_categories() == ["Finance", "Games"]
    assert offers[approval.id].relationship == "require_approval"
    assert offers[approved.id].relationship == "approved"
    for hidden in (private, blocked, expired, deleted):
        assert scope.offer(hidden.id) is None
    assert scope.offer(2**63) is None and scope.offer(0) is None and scope.offer(-1) is None
    assert scope.offer(public.id).runnable and not scope.offer(paused.id).runnable


def test_search_matches_the_name_or_the_id(make, partner):
    wanted = make.offer(name="Summer 100% sale")
    make.offer(name="Winter")
    scope = AffiliateScope(partner)
    assert set(listed(scope, search="100%")) == {wanted.id}
    assert set(listed(scope, search=str(wanted.id))) == {wanted.id}
    assert set(listed(scope, search="_")) == set()


def test_the_partners_payout_override_replaces_the_offers(db, make, partner, other):
    offer = make.offer(payout_type="flat", payout_amount=500)
    access(db, partner, offer, "approved", payout_type="percent", payout_amount=1250)
    mine, theirs = AffiliateScope(partner).offer(offer.id), AffiliateScope(other).offer(offer.id)
    assert (mine.payout_type, mine.payout_amount) == ("percent", 1250)
    assert (theirs.payout_type, theirs.payout_amount) == ("flat", 500)
    assert mine.relationship == "public"


def test_detail_lists_landing_pages_and_creatives_only_when_runnable(db, make, partner):
    offer = make.offer(visibility="require_approval", preview_url="https://advertiser.example/preview")
    page = add(db, OfferUrl(offer_id=offer.id, name="Pricing", destination_url="https://advertiser.example/p"))
    add(db, OfferUrl(offer_id=offer.id, name="Old", destination_url="https://a.example/o", status="paused"))
    creative = add(db, Creative(offer_id=offer.id, name="Banner", creative_type="html", html_code="<b>x</b>"))
    scope = AffiliateScope(partner)
    detail = scope.offer(offer.id)
    assert [(p.url_id, p.name) for p in detail.landing_pages] == [(0, "Default"), (page.id, "Pricing")]
    assert detail.creatives == () and detail.can_apply and detail.application is None
    access(db, partner, offer, "approved")
    assert [c.creative_id for c in scope.offer(offer.id).creatives] == [creative.id]
    listed_with_details = scope.offers(OfferFilters(), Page(), details=True).items
    assert listed_with_details == [scope.offer(offer.id)]  # the list's few queries build the same record


def test_tracking_links_carry_the_checked_values(db, make, partner):
    offer = make.offer(deep_links_allowed=True)
    page = add(db, OfferUrl(offer_id=offer.id, name="P", destination_url="https://advertiser.example/p"))
    creative = add(db, Creative(offer_id=offer.id, name="Banner", creative_type="text", text="Go"))
    scope = AffiliateScope(partner)
    assert scope.tracking_link(offer.id, LinkRequest(), BASE) == f"{BASE}/c/{partner.id}/{offer.id}"
    link = scope.tracking_link(offer.id, LinkRequest(url_id=page.id, sub1="a b&c", source_id="s",
                                                     creative_id=creative.id,
                                                     deep_link="https://advertiser.example/x?y=1"), BASE)
    query = parse_qs(urlsplit(link).query)
    assert query == {"uid": [str(page.id)], "sub1": ["a b&c"], "source_id": ["s"],
                     "creative_id": [str(creative.id)], "url": ["https://advertiser.example/x?y=1"]}
    pixel = scope.impression_link(offer.id, 0, BASE, creative_id=creative.id)
    assert pixel == f"{BASE}/i/{partner.id}/{offer.id}?creative_id={creative.id}"


@pytest.mark.parametrize("request_, field", [
    (LinkRequest(url_id=999_999), "url_id"),
    (LinkRequest(sub1="x" * 501), "sub1"),
    (LinkRequest(sub3="a\x00b"), "sub3"),
    (LinkRequest(sub5="\ud800"), "sub5"),
    (LinkRequest(source_id="line\nbreak"), "source_id"),
    (LinkRequest(creative_id=999_999), "creative_id"),
    (LinkRequest(deep_link="https://advertiser.example/x"), "deep_link"),
])
def test_a_bad_link_request_is_refused_naming_the_field(make, partner, request_, field):
    offer = make.offer()
    with pytest.raises(LinkRefused) as refused:
        AffiliateScope(partner).tracking_link(offer.id, request_, BASE)
    assert refused.value.field == field


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://a.example/", "https:///nohost", "http://[::1",
                                 "https://a.example/" + "x" * 2000])
def test_deep_links_must_be_http_urls(make, partner, url):
    offer = make.offer(deep_links_allowed=True)
    with pytest.raises(LinkRefused) as refused:
        AffiliateScope(partner).tracking_link(offer.id, LinkRequest(deep_link=url), BASE)
    assert refused.value.field == "deep_link"


@pytest.mark.parametrize("url", ["https://advertiser.example/x", "https://ADVERTISER.Example./x",
                                 "http://www.advertiser.example/x", "https://shop.advertiser.example/x?y=1",
                                 "https://pages.example:8443/a"])
def test_a_deep_link_on_the_offers_own_site_or_a_subdomain_of_it_is_taken(db, make, partner, url):
    offer = make.offer(deep_links_allowed=True)  # destination on advertiser.example
    add(db, OfferUrl(offer_id=offer.id, name="P", destination_url="https://pages.example:8443/p"))
    link = AffiliateScope(partner).tracking_link(offer.id, LinkRequest(deep_link=url), BASE)
    assert parse_qs(urlsplit(link).query)["url"] == [url]


@pytest.mark.parametrize("url", ["https://evil.example/", "https://advertiser.example.evil.example/",
                                 "https://evil-advertiser.example/", "https://advertiser.example:8080/",
                                 "https://pages.example/", "https://retired.example/",
                                 "https://xn--advertiser.example/"])
def test_a_deep_link_off_the_offers_site_is_refused_naming_its_hosts(db, make, partner, url):
    offer = make.offer(deep_links_allowed=True)
    add(db, OfferUrl(offer_id=offer.id, name="P", destination_url="https://pages.example:8443/p"))
    add(db, OfferUrl(offer_id=offer.id, name="Old", destination_url="https://retired.example/", status="paused"))
    with pytest.raises(LinkRefused) as refused:
        AffiliateScope(partner).tracking_link(offer.id, LinkRequest(deep_link=url), BASE)
    assert refused.value.field == "deep_link"
    assert "must be on the offer's own site: advertiser.example, pages.example:8443" in str(refused.value)


@pytest.mark.parametrize("url", ["https://user@advertiser.example/", "https://evil.example@advertiser.example/",
                                 "https://advertiser.example\\@evil.example/", "https://advertiser.example\\x"])
def test_a_deep_link_with_a_user_name_or_a_backslash_is_refused(make, partner, url):
    offer = make.offer(deep_links_allowed=True)
    with pytest.raises(LinkRefused) as refused:
        AffiliateScope(partner).tracking_link(offer.id, LinkRequest(deep_link=url), BASE)
    assert refused.value.field == "deep_link"


def test_no_link_for_an_offer_not_runnable_or_not_visible(make, partner):
    waiting = make.offer(visibility="require_approval")
    private = make.offer(visibility="private")
    scope = AffiliateScope(partner)
    with pytest.raises(LinkRefused) as refused:
        scope.tracking_link(waiting.id, LinkRequest(), BASE)
    assert refused.value.field == "offer_id"
    for offer_id in (private.id, 2**63):
        with pytest.raises(OfferUnavailable):
            scope.tracking_link(offer_id, LinkRequest(), BASE)
        with pytest.raises(OfferUnavailable):
            scope.impression_link(offer_id, 0, BASE)


def test_applying_is_audited_and_refused_when_pending_or_approved(db, make, partner):
    offer = make.offer(visibility="require_approval")
    scope = AffiliateScope(partner, actor=Actor("api", 7))
    view = scope.apply(offer.id, "  I run a coupon site  ")
    assert (view.status, view.note) == ("pending", "I run a coupon site")
    assert scope.offer(offer.id).application.status == "pending" and not scope.offer(offer.id).can_apply
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "offer.applied")).all()
    assert [(e.detail["offer_id"], e.detail["api_key_id"]) for e in events] == [(offer.id, 7)]
    with pytest.raises(ApplicationRefused):
        scope.apply(offer.id, "again")
    row = db.session.scalar(db.select(OfferAccess).where(OfferAccess.partner_id == partner.id))
    row.status, row.decision_reason = "rejected", "No incentive traffic"
    db.session.commit()
    assert scope.offer(offer.id).can_apply
    assert scope.apply(offer.id, "").status == "pending"  # a rejected application may be re-submitted
    row.status = "approved"
    db.session.commit()
    with pytest.raises(ApplicationRefused):
        scope.apply(offer.id, "")


def test_public_and_invisible_offers_take_no_application(make, partner):
    public, private = make.offer(), make.offer(visibility="private")
    scope = AffiliateScope(partner)
    with pytest.raises(ApplicationRefused):
        scope.apply(public.id, "")
    with pytest.raises(OfferUnavailable):
        scope.apply(private.id, "")
    with pytest.raises(ApplicationRefused) as refused:
        scope.apply(make.offer(visibility="require_approval").id, "x\x00")
    assert refused.value.field == "note"


def test_another_partners_codes_feeds_creatives_and_application_are_invisible(db, make, partner, other):
    offer = make.offer()
    waiting = make.offer(visibility="require_approval")
    mine = add(db, CouponCode(offer_id=offer.id, partner_id=partner.id, code="MINE10"))
    add(db, CouponCode(offer_id=offer.id, partner_id=other.id, code="THEIRS10"))
    add(db, CouponCode(offer_id=offer.id, partner_id=partner.id, code="OFF", status="paused"))
    add(db, CouponCode(offer_id=waiting.id, partner_id=partner.id, code="NOTYET"))
    feed = add(db, ProductFeed(offer_id=offer.id, name="Feed", file_key="ab/" + "0" * 32 + ".csv",
                               filename="feed.csv", content_type="text/csv", file_size=10))
    hidden_feed = add(db, ProductFeed(offer_id=waiting.id, name="Hidden", file_key="ab/" + "1" * 32,
                                      filename="h.csv", content_type="text/csv"))
    creative = add(db, Creative(offer_id=waiting.id, name="B", creative_type="image", file_key="ab/" + "2" * 32,
                                filename="b.png", content_type="image/png", file_size=3))
    AffiliateScope(other, actor=Actor("api", 1)).apply(waiting.id, "their note")

    scope = AffiliateScope(partner)
    assert [c.coupon_code_id for c in scope.coupon_codes(Page()).items] == [mine.id]
    assert scope.coupon_codes(Page()).items[0].offer_name == offer.name
    assert [f.feed_id for f in scope.product_feeds(None, Page()).items] == [feed.id]
    assert scope.product_feeds(waiting.id, Page()).items == []
    assert scope.product_feeds(2**63, Page()).items == []
    assert scope.product_feed_file(feed.id).filename == "feed.csv"
    assert scope.product_feed_file(hidden_feed.id) is None
    assert scope.creative_file(waiting.id, creative.id) is None
    assert scope.creative_file(offer.id, creative.id) is None  # a creative is found through its own offer
    detail = scope.offer(waiting.id)
    assert detail.application is None and detail.can_apply and detail.relationship == "require_approval"
    access(db, partner, waiting, "approved")
    assert scope.creative_file(waiting.id, creative.id).content_type == "image/png"
    assert AffiliateScope(other).creative_file(waiting.id, creative.id) is None  # theirs is still pending


@pytest.mark.parametrize(("valid_from", "valid_to", "served"), [
    (None, None, True),
    (-timedelta(days=1), timedelta(days=1), True),
    (timedelta(days=1), None, False),  # not yet valid
    (None, -timedelta(days=1), False),  # no longer valid
    (-timedelta(days=3), -timedelta(days=1), False),
])
def test_a_product_feed_is_listed_and_served_only_within_its_validity(db, make, partner, valid_from, valid_to,
                                                                     served):
    now = datetime.now(UTC)
    offer = make.offer()
    feed = add(db, ProductFeed(offer_id=offer.id, name="Feed", file_key="ab/" + "3" * 32 + ".csv",
                               filename="feed.csv", content_type="text/csv", file_size=10,
                               valid_from=now + valid_from if valid_from is not None else None,
                               valid_to=now + valid_to if valid_to is not None else None))
    scope = AffiliateScope(partner)
    assert [f.feed_id for f in scope.product_feeds(None, Page()).items] == ([feed.id] if served else [])
    assert [f.feed_id for f in scope.product_feeds(offer.id, Page()).items] == ([feed.id] if served else [])
    assert (scope.product_feed_file(feed.id) is not None) is served
