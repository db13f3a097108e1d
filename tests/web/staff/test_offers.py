"""Staff create, edit, pause and resume offers: every field validated, HTML sanitised, thumbnails checked,
every change audited, and only staff with offers:manage get in."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest
from sqlalchemy import select

from portal import create_app
from portal.extensions import db as _db
from portal.models import PERMISSIONS, Offer
from portal.storage import store_for
from tests.conftest import base_config
from tests.web.staff.offer_helpers import audits, offer_form, png

MANAGE = "offers:manage"
_APP = create_app(base_config())
OFFER_RULES = sorted({(rule.endpoint, rule.rule, method) for rule in _APP.url_map.iter_rules()
                      if rule.endpoint.startswith("staff.") and MANAGE in getattr(
                          _APP.view_functions[rule.endpoint], "required_permissions", ())
                      for method in rule.methods - {"HEAD", "OPTIONS"}})


@pytest.fixture
def app(make_app, tmp_path):
    """Uploads land in this test's own directory."""
    app = make_app(STORAGE_DIR=str(tmp_path / "files"))
    with app.app_context():
        yield app
        _db.session.remove()


def urlencoded(form: dict) -> bytes:
    """A form body as a browser that does not check would send it (lone surrogates included)."""
    return "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in form.items()).encode()


def create(client, **overrides):
    return client.post("/staff/offers/new", data=offer_form(**overrides))


def only_offer(db) -> Offer:
    db.session.expire_all()
    return db.session.scalars(select(Offer)).one()


def test_every_offers_route_needs_the_offers_permission():
    endpoints = {endpoint for endpoint, _, _ in OFFER_RULES}
    assert {"staff.offers", "staff.offer_new", "staff.offer_edit", "staff.creative_new", "staff.coupon_edit",
            "staff.feed_new", "staff.applications", "staff.application_decide", "staff.partner_offers",
            "staff.partner_payout_override", "staff.offer_access_set"} <= endpoints
    for endpoint in endpoints:
        assert _APP.view_functions[endpoint].required_permissions == (MANAGE,), endpoint


@pytest.mark.parametrize(("endpoint", "rule", "method"), OFFER_RULES)
def test_staff_without_offers_manage_are_forbidden_everywhere(client, make, login_as, db, endpoint, rule, method):
    partner, offer = make.partner(), make.offer()
    login_as.staff(make.staff(permissions=[p for p in PERMISSIONS if p != MANAGE]))
    url = re.sub(r"<int:(\w+)>", lambda m: str(partner.id if m.group(1) == "partner_id" else offer.id
                                              if m.group(1) == "offer_id" else 1), rule)
    before = offer.name
    response = client.open(url, method=method, data=offer_form(name="Hijacked", partner_id=str(partner.id)))
    assert response.status_code == 403, (endpoint, method)
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).name == before


def test_the_menu_shows_offers_only_to_staff_who_manage_them(client, make, login_as, admin):
    assert 'href="/staff/offers"' in client.get("/staff/account").get_data(as_text=True)
    login_as.staff(make.staff(permissions=["partners:view"]))
    assert 'href="/staff/offers"' not in client.get("/staff/account").get_data(as_text=True)


def test_creating_an_offer_saves_every_field_and_audits_it(client, db, admin):
    response = create(client, payout_type="percent", payout="7.25", network_revenue="9.5", deep_links_allowed="y",
                      live_until="2027-03-01T12:30", daily_click_cap="500", global_conversion_cap="40",
                      fallback_url="https://fallback.example/")
    assert response.status_code == 302
    offer = only_offer(db)
    assert response.headers["Location"] == f"/staff/offers/{offer.id}"
    assert (offer.name, offer.status, offer.visibility, offer.category, offer.currency) == (
        "Test Offer", "active", "public", "Software", "USD")
    assert (offer.payout_type, offer.payout_amount, offer.network_revenue_amount) == ("percent", 725, 950)
    assert offer.allowed_countries == ["US", "CA"] and offer.deep_links_allowed
    assert offer.daily_click_cap == 500 and offer.global_conversion_cap == 40 and offer.weekly_click_cap == 0
    assert offer.live_until.isoformat().startswith("2027-03-01T12:30") and offer.live_until.utcoffset().seconds == 0
    assert offer.fallback_url == "https://fallback.example/"
    [event] = audits(db, "offer.created")
    assert event.actor_id == admin.id and event.target_id == str(offer.id) and event.detail["payout_amount"] == 725
    page = client.get(f"/staff/offers/{offer.id}").get_data(as_text=True)
    assert "7.25 % of sale" in page and "Great <b>offer</b>" in page


def test_flat_money_is_kept_in_minor_units(client, db, admin):
    assert create(client, payout="150", network_revenue="210.05").status_code == 302
    offer = only_offer(db)
    assert (offer.payout_amount, offer.network_revenue_amount) == (15_000, 21_005)


@pytest.mark.parametrize("description", [
    '<p>Hi</p><script>alert(1)</script>',
    '<img src="x" onerror="alert(1)"><p>Hi</p>',
    '<a href="javascript:alert(1)">Hi</a>',
    '<p style="position:fixed" onclick="alert(1)">Hi</p><style>p{color:red}</style>',
    '<iframe src="https://evil.example/"></iframe><p>Hi</p>',
])
def test_the_description_is_sanitised_on_save(client, db, admin, description):
    assert create(client, description=description).status_code == 302
    saved = only_offer(db).description
    assert "Hi" in saved
    for banned in ("<script", "alert", "onerror", "onclick", "javascript:", "style", "<iframe", "<img"):
        assert banned not in saved


def test_links_in_the_description_get_noopener_nofollow(client, db, admin):
    create(client, description='<a href="https://advertiser.example/terms" target="_top">Terms</a>')
    assert only_offer(db).description == '<a href="https://advertiser.example/terms" rel="noopener nofollow">Terms</a>'


@pytest.mark.parametrize(("field", "value", "message"), [
    ("destination_url", "https://advertiser.example/?x={nope}", "unknown macro {nope}"),
    ("destination_url", "https://{sub1}.example/", "only after the host"),
    ("destination_url", "javascript:alert(1)", "http:// or https://"),
    ("destination_url", "ftp://advertiser.example/", "http:// or https://"),
    ("destination_url", "https://user:pw@advertiser.example/", "user name or password"),
    ("destination_url", "https://advertiser.example/{sub1", "unbalanced"),
    ("destination_url", "", "required"),
    ("preview_url", "javascript:alert(1)", "http:// or https://"),
    ("fallback_url", "https://exa mple/", "spaces"),
    ("allowed_countries", "US, XX", "not an ISO 3166-1"),
    ("allowed_countries", "USA", "not an ISO 3166-1"),
    ("payout", "NaN", "A number"),
    ("payout", "1e309", "A number"),
    ("payout", "-1", "A number"),
    ("payout", "12.345", "two decimal places"),
    ("payout", "abc", "Not a valid decimal"),
    ("payout", "", "required"),
    ("daily_click_cap", str(2**63), "Number must be between"),
    ("daily_click_cap", "-1", "Number must be between"),
    ("currency", "US", "exactly 3 characters"),
    ("currency", "U$D", "three-letter"),
    ("status", "deleted", "Not a valid choice"),
    ("visibility", "secret", "Not a valid choice"),
    ("name", "x" * 201, "Field cannot be longer"),
    ("name", "bad\x00name", "NUL"),
    ("restrictions", "x" * 10_001, "Field cannot be longer"),
    ("live_until", "tomorrow", "Not a valid datetime"),
])
def test_bad_offer_input_is_a_400_naming_the_field(client, db, admin, field, value, message):
    response = client.post("/staff/offers/new", data=urlencoded(offer_form(**{field: value})),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message.lower() in page.lower().replace("&#39;", "'"), page[page.find('class="error"') - 300:][:600]
    assert db.session.scalars(select(Offer)).first() is None and not audits(db, "offer.created")


def test_percent_payout_is_at_most_one_hundred(client, db, admin):
    response = create(client, payout_type="percent", payout="100.01")
    assert response.status_code == 400 and "a percentage from 0 to 100" in response.get_data(as_text=True)


def test_editing_records_what_changed(client, db, make, admin):
    offer = make.offer(name="Old name", payout_amount=500, allowed_countries=["US"])
    form = client.get(f"/staff/offers/{offer.id}/edit").get_data(as_text=True)
    assert 'value="Old name"' in form and 'value="5.00"' in form and 'value="US"' in form
    response = client.post(f"/staff/offers/{offer.id}/edit",
                           data=offer_form(name="New name", payout="5.00", allowed_countries="US"))
    assert response.status_code == 302
    [event] = audits(db, "offer.updated")
    assert event.detail["name"] == {"from": "Old name", "to": "New name"}
    assert "payout_amount" not in event.detail and event.detail["description"] == "changed"


def test_pause_and_resume_are_audited(client, db, make, admin):
    offer = make.offer()
    assert client.post(f"/staff/offers/{offer.id}/status", data={"status": "paused"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).status == "paused"
    client.post(f"/staff/offers/{offer.id}/status", data={"status": "paused"})  # no change, no audit
    client.post(f"/staff/offers/{offer.id}/status", data={"status": "active"})
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).status == "active"
    assert len(audits(db, "offer.paused")) == 1 and len(audits(db, "offer.resumed")) == 1
    assert client.post(f"/staff/offers/{offer.id}/status", data={"status": "expired"}).status_code == 400


def test_the_list_filters_by_status(client, make, admin):
    make.offer(name="Running one")
    make.offer(name="Sleeping one", status="paused")
    assert "Sleeping one" not in client.get("/staff/offers?status=active").get_data(as_text=True)
    paused = client.get("/staff/offers?status=paused").get_data(as_text=True)
    assert "Sleeping one" in paused and "Running one" not in paused
    everything = client.get("/staff/offers", query_string="status=%ED%A0%80").get_data(as_text=True)
    assert "Sleeping one" in everything and "Running one" in everything


def test_unknown_offers_are_not_found(client, admin):
    for path in ("/staff/offers/999999", "/staff/offers/999999/edit", "/staff/offers/999999/thumbnail",
                 f"/staff/offers/{2**63}"):
        assert client.get(path).status_code == 404


def test_a_thumbnail_is_stored_and_served(app, client, db, admin):
    data = offer_form()
    data["thumbnail"] = (io.BytesIO(png(120, 90)), "thumb.png")
    assert client.post("/staff/offers/new", data=data, content_type="multipart/form-data").status_code == 302
    offer = only_offer(db)
    assert offer.thumbnail_key.endswith(".png")
    served = client.get(f"/staff/offers/{offer.id}/thumbnail")
    body = served.get_data()
    served.close()
    assert served.status_code == 200 and served.mimetype == "image/png" and body == png(120, 90)
    assert store_for(app).size(offer.thumbnail_key) == len(body)


def test_a_text_file_named_png_is_not_a_thumbnail(client, db, admin):
    data = offer_form()
    data["thumbnail"] = (io.BytesIO(b"<?php echo 'not an image'; ?>"), "thumb.png")
    response = client.post("/staff/offers/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "not a PNG, JPEG, GIF or WebP image" in response.get_data(as_text=True)
    assert db.session.scalars(select(Offer)).first() is None
