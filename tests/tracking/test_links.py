"""The tracking door: clicks (`/c`, `/r`) are recorded and redirected, impressions (`/i`) recorded and
answered with a pixel; invalid links still land somewhere sensible, with the reason on the click."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from portal.models import Click, Impression, NetworkSettings, OfferAccess, OfferUrl, ReportRollup
from portal.services import clicks

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.0 Mobile/15E148 Safari/604.1")
LANDING = "https://advertiser.example/landing?tid={transaction_id}&aff={affiliate_id}&s1={sub1}&c={country_code}"


@pytest.fixture
def offer(make):
    return make.offer(destination_url=LANDING, fallback_url="")


@pytest.fixture
def partner(make):
    return make.partner()


@pytest.fixture
def network_fallback(app, db):
    def _set(url: str) -> None:
        db.session.get(NetworkSettings, 1).tracking_fallback_url = url
        db.session.commit()
        app.extensions["portal.tracker"].targets.clear()  # as if the cache's few seconds had passed

    yield _set
    db.session.rollback()
    db.session.execute(sa.update(NetworkSettings).values(tracking_fallback_url=""))
    db.session.commit()


def clicks_of(db, **where) -> list[Click]:
    db.session.expire_all()
    return list(db.session.scalars(select(Click).filter_by(**where).order_by(Click.id)))


def test_a_click_is_recorded_then_redirected_with_the_macros_filled(client, db, partner, offer):
    response = client.get(f"/c/{partner.id}/{offer.id}?sub1=spring sale&sub2=b&source_id=news&creative_id=7",
                          headers={"User-Agent": IPHONE, "Referer": "https://blog.example/post"},
                          environ_base={"REMOTE_ADDR": "8.8.8.8"})
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    [click] = clicks_of(db)
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.hostname, location.path) == ("https", "advertiser.example", "/landing")
    assert parse_qs(location.query) == {"tid": [click.transaction_id], "aff": [str(partner.id)],
                                        "s1": ["spring sale"], "c": ["US"]}
    assert len(click.transaction_id) == 32 and int(click.transaction_id, 16) >= 0
    assert (click.partner_id, click.offer_id, click.sub1, click.sub2, click.source_id, click.creative_id) == (
        partner.id, offer.id, "spring sale", "b", "news", 7)
    assert (click.ip, click.country, click.device, click.platform, click.browser) == (
        "8.8.8.8", "US", "mobile", "iOS", "Mobile Safari")
    assert (click.referer, click.is_unique, click.error_code, click.offer_url_id) == (
        "https://blog.example/post", True, None, 0)
    rollup = db.session.scalar(select(ReportRollup).where(ReportRollup.partner_id == partner.id))
    assert (rollup.clicks, rollup.unique_clicks, rollup.sub1) == (1, 1, "spring sale")


def test_the_same_visitor_again_within_a_day_is_a_duplicate(client, db, partner, offer, make):
    other_offer = make.offer()
    for path, ip in ((f"/c/{partner.id}/{offer.id}", "8.8.8.8"), (f"/c/{partner.id}/{offer.id}", "8.8.8.8"),
                     (f"/c/{partner.id}/{offer.id}", "9.9.9.9"), (f"/c/{partner.id}/{other_offer.id}", "8.8.8.8")):
        assert client.get(path, environ_base={"REMOTE_ADDR": ip}).status_code == 302
    assert [c.is_unique for c in clicks_of(db)] == [True, False, True, True]
    assert db.session.scalar(select(func.sum(ReportRollup.unique_clicks))) == 3


def test_a_unique_click_on_a_cpc_offer_earns_the_partners_cpc(client, db, make, partner):
    cpc = make.offer(payout_type="cpc", payout_amount=25)
    overridden = make.offer(payout_type="cpc", payout_amount=25, currency="EUR")
    db.session.add(OfferAccess(partner_id=partner.id, offer_id=overridden.id, status="approved",
                               payout_type="cpc", payout_amount=40))
    db.session.commit()
    paused = make.offer(payout_type="cpc", payout_amount=25, status="paused")
    for offer in (cpc, cpc, overridden, paused):  # a duplicate or an invalid click earns nothing
        client.get(f"/c/{partner.id}/{offer.id}", environ_base={"REMOTE_ADDR": "8.8.8.8"})
    earned = dict(db.session.execute(select(ReportRollup.offer_id, ReportRollup.earnings_cents)).all())
    assert earned == {cpc.id: 25, overridden.id: 40, paused.id: 0}
    stored = db.session.execute(select(Click.offer_id, Click.is_unique, Click.error_code, Click.payout_cents,
                                       Click.currency).order_by(Click.id)).all()
    # What a click earned is in its offer's currency as it was then; a click that earned nothing has none.
    assert [tuple(row) for row in stored] == [(cpc.id, True, None, 25, "USD"), (cpc.id, False, None, 0, None),
                                              (overridden.id, True, None, 40, "EUR"),
                                              (paused.id, False, clicks.OFFER_PAUSED, 0, None)]


def test_a_day_later_the_same_visitor_is_unique_again():
    visitors, now = clicks.RecentVisitors(), datetime(2026, 12, 1, tzinfo=UTC)
    assert not visitors.is_repeat(("1.2.3.4", 1, 2), now)
    assert visitors.is_repeat(("1.2.3.4", 1, 2), now + timedelta(hours=23))
    assert not visitors.is_repeat(("1.2.3.4", 1, 2), now + timedelta(hours=24))


def test_the_visitor_memory_is_bounded():
    visitors, now = clicks.RecentVisitors(limit=2), datetime(2026, 12, 1, tzinfo=UTC)
    for ip in ("a", "b", "c"):
        visitors.is_repeat((ip, 1, 1), now)
    assert not visitors.is_repeat(("a", 1, 1), now)  # the oldest was forgotten first


def test_a_landing_page_by_uid_and_the_deep_link_when_the_offer_allows_it(client, db, partner, make):
    offer = make.offer(destination_url="https://shop.example/", deep_links_allowed=True)
    page = OfferUrl(offer_id=offer.id, name="Summer", destination_url="https://shop.example/summer?t={transaction_id}")
    db.session.add(page)
    db.session.commit()
    to_page = client.get(f"/c/{partner.id}/{offer.id}?uid={page.id}")
    assert to_page.headers["Location"].startswith("https://shop.example/summer?t=")
    deep = client.get(f"/c/{partner.id}/{offer.id}?url=https://shop.example/shoes%3Fsize%3D9")
    assert deep.headers["Location"] == "https://shop.example/shoes?size=9"
    for refused in ("javascript:alert(1)", "//evil.example/", "ftp://shop.example/x", "https://a@evil.example/"):
        assert client.get(f"/c/{partner.id}/{offer.id}", query_string={"url": refused}).headers[
            "Location"] == "https://shop.example/"
    assert [c.offer_url_id for c in clicks_of(db)] == [page.id, 0, 0, 0, 0, 0]


@pytest.mark.parametrize("url", ["https://evil.example/", "https://shop.example.evil.example/",
                                 "https://evilshop.example/", "https://shop.example:8080/", "https://old.example/",
                                 "https://shop.example\\@evil.example/", "https://evil.example@shop.example/",
                                 "https://evil.example%2f.shop.example/"])
def test_a_deep_link_off_the_offers_site_lands_on_the_landing_page(client, db, partner, make, url):
    offer = make.offer(destination_url="https://shop.example/", deep_links_allowed=True)
    db.session.add(OfferUrl(offer_id=offer.id, name="Old", destination_url="https://old.example/", status="paused"))
    db.session.commit()
    response = client.get(f"/c/{partner.id}/{offer.id}", query_string={"url": url})
    assert response.headers["Location"] == "https://shop.example/"
    assert [c.error_code for c in clicks_of(db)] == [None]


@pytest.mark.parametrize("url", ["https://SHOP.example/a", "http://www.shop.example/a",
                                 "https://m.pages.example:8443/b", "https://pages.example:8443/c"])
def test_a_deep_link_on_the_offers_site_or_a_subdomain_is_followed(client, db, partner, make, url):
    offer = make.offer(destination_url="https://shop.example/", deep_links_allowed=True)
    db.session.add(OfferUrl(offer_id=offer.id, name="P", destination_url="https://pages.example:8443/p"))
    db.session.commit()
    location = client.get(f"/c/{partner.id}/{offer.id}", query_string={"url": url}).headers["Location"]
    assert location.lower() == url.lower()  # the redirect may lowercase the host


def test_no_deep_link_unless_the_offer_allows_it(client, partner, offer):
    response = client.get(f"/c/{partner.id}/{offer.id}?url=https://elsewhere.example/")
    assert urlsplit(response.headers["Location"]).hostname == "advertiser.example"


def _paused(make, offer, partner, db):
    offer.status = "paused"


def _expired_status(make, offer, partner, db):
    offer.status = "expired"


def _past_live_until(make, offer, partner, db):
    offer.live_until = datetime.now(UTC) - timedelta(minutes=1)


def _deleted(make, offer, partner, db):
    offer.status = "deleted"


def _private_blocked(make, offer, partner, db):
    offer.visibility = "private"
    db.session.add(OfferAccess(partner_id=partner.id, offer_id=offer.id, status="blocked"))


def _approval_pending(make, offer, partner, db):
    offer.visibility = "require_approval"
    db.session.add(OfferAccess(partner_id=partner.id, offer_id=offer.id, status="pending"))


def _blocked(make, offer, partner, db):
    db.session.add(OfferAccess(partner_id=partner.id, offer_id=offer.id, status="blocked"))


def _partner_suspended(make, offer, partner, db):
    partner.status = "suspended"


def _country_not_allowed(make, offer, partner, db):
    offer.allowed_countries = ["DE", "FR"]


INVALID = [(_paused, clicks.OFFER_PAUSED), (_expired_status, clicks.OFFER_EXPIRED),
           (_past_live_until, clicks.OFFER_EXPIRED), (_deleted, clicks.OFFER_INACTIVE),
           (_private_blocked, clicks.NOT_RUNNABLE), (_approval_pending, clicks.NOT_RUNNABLE),
           (_blocked, clicks.NOT_RUNNABLE), (_partner_suspended, clicks.PARTNER_INACTIVE),
           (_country_not_allowed, clicks.COUNTRY)]


@pytest.mark.parametrize(("spoil", "code"), INVALID, ids=[s.__name__.strip("_") for s, _ in INVALID])
@pytest.mark.parametrize("fallback", ["offer", "network", "page"])
def test_a_click_the_offer_cannot_take_is_recorded_as_invalid_and_falls_back(
        client, db, make, partner, offer, network_fallback, spoil, code, fallback):
    spoil(make, offer, partner, db)
    offer.fallback_url = "https://offer-fallback.example/" if fallback == "offer" else ""
    db.session.commit()
    if fallback == "network":
        network_fallback("https://network-fallback.example/")
    response = client.get(f"/c/{partner.id}/{offer.id}?sub1=x", environ_base={"REMOTE_ADDR": "8.8.8.8"})
    if fallback == "page":
        assert response.status_code == 200 and b"This offer is not available" in response.data
    else:
        assert response.status_code == 302
        assert response.headers["Location"] == f"https://{fallback}-fallback.example/"
    [click] = clicks_of(db)
    assert (click.error_code, click.error_message, click.is_unique) == (code, clicks.CLICK_ERRORS[code], False)
    rollup = db.session.scalar(select(ReportRollup).where(ReportRollup.partner_id == partner.id))
    assert (rollup.clicks, rollup.unique_clicks, rollup.invalid_clicks) == (0, 0, 1)  # Everflow: invalid_click


UNKNOWN_TO_THE_PARTNER = {"private_not_granted": ("active", "private", None),
                          "private_application_pending": ("active", "private", "pending"),
                          "private_rejected": ("active", "private", "rejected"),
                          "pending_offer": ("pending", "public", None),
                          "pending_private_granted": ("pending", "private", "approved")}


@pytest.mark.parametrize("case", UNKNOWN_TO_THE_PARTNER)
def test_a_click_on_an_offer_the_partner_must_not_know_of_records_nothing(
        client, db, partner, offer, network_fallback, case):
    status, visibility, access = UNKNOWN_TO_THE_PARTNER[case]
    offer.status, offer.visibility, offer.fallback_url = status, visibility, "https://offer-fallback.example/"
    if access is not None:
        db.session.add(OfferAccess(partner_id=partner.id, offer_id=offer.id, status=access))
    db.session.commit()
    for path in (f"/c/{partner.id}/{offer.id}?sub1=x", f"/r/{partner.partner_key}/{offer.id}",
                 f"/i/{partner.id}/{offer.id}"):
        response = client.get(path)
        assert response.status_code == (200 if path.startswith("/i/") else 404)
        assert b"offer-fallback" not in response.data
    assert clicks_of(db) == [] and db.session.scalar(select(func.count()).select_from(Impression)) == 0
    assert db.session.scalar(select(func.count()).select_from(ReportRollup)) == 0
    network_fallback("https://network-fallback.example/")  # the network's, never the offer's own
    assert client.get(f"/c/{partner.id}/{offer.id}").headers["Location"] == "https://network-fallback.example/"
    assert clicks_of(db) == []


def test_a_granted_private_offer_and_an_approved_application_take_clicks(client, db, make, partner):
    private, gated = make.offer(visibility="private"), make.offer(visibility="require_approval")
    db.session.add_all([OfferAccess(partner_id=partner.id, offer_id=o.id, status="approved") for o in (private, gated)])
    db.session.commit()
    for offer in (private, gated):
        assert client.get(f"/c/{partner.id}/{offer.id}").status_code == 302
    assert [c.error_code for c in clicks_of(db)] == [None, None]


@pytest.mark.parametrize("uid", ["999999", "abc", "99999999999999999999", "-1"])
def test_an_unknown_or_paused_landing_page_is_an_invalid_click(client, db, partner, offer, uid):
    response = client.get(f"/c/{partner.id}/{offer.id}", query_string={"uid": uid})
    assert response.status_code == 200
    [click] = clicks_of(db)
    assert click.error_code == clicks.BAD_LANDING_PAGE
    assert click.offer_url_id == (int(uid) if uid == "999999" else 0)  # the id asked for, when it is one


def test_a_paused_landing_page_is_an_invalid_click(client, db, partner, offer):
    page = OfferUrl(offer_id=offer.id, name="Old", destination_url="https://advertiser.example/old", status="paused")
    db.session.add(page)
    db.session.commit()
    client.get(f"/c/{partner.id}/{offer.id}?uid={page.id}")
    assert clicks_of(db)[0].error_code == clicks.BAD_LANDING_PAGE


@pytest.mark.parametrize("path", ["/c/{partner}/999999", "/c/999999/{offer}", "/r/nobody-at-all/{offer}",
                                  "/c/99999999999999999999/{offer}", "/r/{long_key}/{offer}", "/r/a%00b/{offer}",
                                  "/r/%ED%A0%80/{offer}", "/r/tab%09key/{offer}"])
def test_unknown_links_record_nothing_and_answer_404(client, db, partner, offer, network_fallback, path):
    path = path.format(partner=partner.id, offer=offer.id, long_key="k" * 500)
    response = client.get(path)
    assert response.status_code == 404
    assert clicks_of(db) == []
    if path.startswith("/c/99999999999999999999"):
        return  # not even a tracking link: the app's own 404
    assert b"This offer is not available" in response.data
    network_fallback("https://network-fallback.example/")
    assert client.get(path).headers["Location"] == "https://network-fallback.example/"


def test_hostile_subs_are_cleaned_and_the_click_still_lands(client, db, partner, offer):
    query = "sub1=a%00b%07c&sub2=%ED%A0%80&sub3=" + "x" * 3000 + "&creative_id=99999999999999&source_id=%FF"
    response = client.get(f"/c/{partner.id}/{offer.id}?{query}")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).hostname == "advertiser.example"
    [click] = clicks_of(db)
    assert click.sub1 == "abc" and len(click.sub3) == 500 and click.creative_id is None
    assert "\x00" not in (click.sub2 or "") and click.error_code is None


def test_a_head_request_records_nothing(client, db, partner, offer):
    assert client.head(f"/c/{partner.id}/{offer.id}").status_code == 302
    assert client.head(f"/i/{partner.id}/{offer.id}").status_code == 200
    assert clicks_of(db) == [] and db.session.scalar(select(func.count()).select_from(Impression)) == 0


def test_the_address_behind_a_trusted_proxy_and_the_country_header(make_app, make):
    app = make_app(TRUSTED_PROXY_HOPS=1, GEOIP_COUNTRY_HEADER="CF-IPCountry")
    with app.app_context():
        from portal.extensions import db

        partner, offer = make.partner(), make.offer()
        client = app.test_client()
        client.get(f"/c/{partner.id}/{offer.id}", headers={"X-Forwarded-For": "6.6.6.6, 8.8.4.4"},
                   environ_base={"REMOTE_ADDR": "10.0.0.1"})
        client.get(f"/c/{partner.id}/{offer.id}", headers={"X-Forwarded-For": "8.8.8.8", "CF-IPCountry": "de"})
        client.get(f"/c/{partner.id}/{offer.id}", headers={"X-Forwarded-For": "::ffff:8.8.8.8", "CF-IPCountry": "XX"})
        assert [(c.ip, c.country) for c in clicks_of(db)] == [("8.8.4.4", "US"), ("8.8.8.8", "DE"), ("8.8.8.8", "US")]
        db.session.remove()


def test_a_paused_offer_stops_taking_clicks_once_the_cache_expires(app, client, db, partner, offer):
    cache = app.extensions["portal.tracker"].targets
    now = [1000.0]
    cache.clock = lambda: now[0]
    assert client.get(f"/c/{partner.id}/{offer.id}").status_code == 302
    offer.status = "paused"
    db.session.commit()
    client.get(f"/c/{partner.id}/{offer.id}")
    now[0] += cache.ttl + 0.01
    assert client.get(f"/c/{partner.id}/{offer.id}").status_code == 200
    assert [c.error_code for c in clicks_of(db)] == [None, None, clicks.OFFER_PAUSED]


def test_a_partner_key_unknown_at_first_resolves_once_taken(app, client, db, make, offer):
    cache = app.extensions["portal.tracker"].targets
    now = [1000.0]
    cache.clock = lambda: now[0]
    assert client.get(f"/r/late-comer/{offer.id}").status_code == 404
    partner = make.partner(partner_key="late-comer")
    now[0] += cache.ttl + 0.01  # a miss is remembered no longer than any other lookup
    assert client.get(f"/r/late-comer/{offer.id}").status_code == 302
    assert [c.partner_id for c in clicks_of(db)] == [partner.id]


def test_with_no_cache_a_partner_key_resolves_as_soon_as_it_is_taken(app, client, db, make, offer, monkeypatch):
    monkeypatch.setattr(app.extensions["portal.tracker"].targets, "ttl", 0)
    assert client.get(f"/r/just-taken/{offer.id}").status_code == 404
    make.partner(partner_key="just-taken")
    assert client.get(f"/r/just-taken/{offer.id}").status_code == 302


def test_an_impression_is_recorded_and_answered_with_a_pixel(client, db, partner, offer):
    response = client.get(f"/i/{partner.id}/{offer.id}?sub1=banner&creative_id=3",
                          environ_base={"REMOTE_ADDR": "8.8.8.8"}, headers={"User-Agent": IPHONE})
    assert response.status_code == 200 and response.mimetype == "image/gif"
    assert response.data.startswith(b"GIF89a") and response.data[6:10] == b"\x01\x00\x01\x00"
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers
    quiet = client.get(f"/i/{partner.id}/{offer.id}?pixel=0")
    assert quiet.status_code == 204 and quiet.data == b""
    db.session.expire_all()
    rows = list(db.session.scalars(select(Impression).order_by(Impression.id)))
    assert [(i.partner_id, i.offer_id, i.sub1, i.creative_id) for i in rows] == [
        (partner.id, offer.id, "banner", 3), (partner.id, offer.id, None, None)]
    assert (rows[0].ip, rows[0].country) == ("8.8.8.8", "US")
    assert db.session.scalar(select(func.sum(ReportRollup.impressions))) == 2


def test_an_invalid_impression_is_still_a_pixel_and_records_nothing(client, db, partner, offer):
    offer.status = "paused"
    db.session.commit()
    for path in (f"/i/{partner.id}/{offer.id}", f"/i/{partner.id}/999999", f"/i/999999/{offer.id}"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "image/gif"
    assert db.session.scalar(select(func.count()).select_from(Impression)) == 0
