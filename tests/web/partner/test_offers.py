"""The Offers pages: the list's tabs, filters and paging; an offer's facts, its link builder (server side),
coupon codes; what a partner may not see is a 404; hostile input is a 4xx that names the field."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models import OfferAccess
from tests.web.partner import offer_world


@pytest.fixture
def app(make_app, tmp_path):
    app = make_app(STORAGE_DIR=str(tmp_path / "files"))
    with app.app_context():
        yield app


@pytest.fixture
def world(app, db, make):
    return offer_world.build(app, db, make)


@pytest.fixture
def signed_in(world, make, login_as):
    login_as.partner(make.partner_user(world.partner))
    return world


def rows(page: str) -> dict[int, str]:
    """offer id → its table row's HTML."""
    return {int(m[1]): m[2] for m in re.finditer(r'<tr data-offer-id="(\d+)"(.*?)</tr>', page, re.S)}


def link_of(page: str) -> str:
    return unescape(re.search(r'<output[^>]*id="tracking-link"[^>]*>(.*?)</output>', page, re.S)[1]).strip()


def test_my_offers_are_the_runnable_ones_and_all_offers_adds_those_to_apply_to(client, signed_in):
    w = signed_in
    mine = rows(client.get("/offers").get_data(as_text=True))
    assert set(mine) == {w.public.id}
    everything = rows(client.get("/offers?tab=all").get_data(as_text=True))
    assert set(everything) == {w.public.id, w.approval.id, w.pending.id, w.rejected.id, w.paused.id}
    badges = {i: re.search(r'data-field="relationship"[^>]*>([^<]+)<', row)[1] for i, row in everything.items()}
    assert badges == {w.public.id: "Approved", w.approval.id: "Apply", w.pending.id: "Pending approval",
                      w.rejected.id: "Rejected", w.paused.id: "Approved"}
    assert "Paused" in everything[w.paused.id] and "$12.50 per conversion" in everything[w.public.id]
    assert "Retail" in everything[w.public.id]


def test_the_partners_own_payout_is_shown(client, db, signed_in):
    w = signed_in
    db.session.get(OfferAccess, offer_world.access(db, w.partner, w.public, "approved", payout_type="percent",
                                                    payout_amount=1250).id)
    page = client.get("/offers").get_data(as_text=True)
    assert "12.5% of the sale" in rows(page)[w.public.id]
    assert "12.5% of the sale" in client.get(f"/offers/{w.public.id}").get_data(as_text=True)


@pytest.mark.parametrize(("query", "expected"), [
    ("q=vpn", {"approval"}), ("q=northwind", {"pending"}), ("category=Retail", {"public", "paused"}),
    ("status=paused", {"paused"}), ("status=active&category=Gaming", {"rejected"}), ("q=nothing-like-it", set()),
])
def test_search_category_and_status_filter_the_list(client, signed_in, query, expected):
    page = client.get(f"/offers?tab=all&{query}").get_data(as_text=True)
    assert set(rows(page)) == {getattr(signed_in, name).id for name in expected}


def test_the_category_filter_offers_the_visible_categories(client, signed_in):
    page = client.get("/offers?tab=all").get_data(as_text=True)
    select = page[page.index('id="offer-category"'):page.index("</select>", page.index('id="offer-category"'))]
    assert set(re.findall(r'<option value="([^"]+)"', select)) == {"Retail", "Software", "Finance", "Gaming"}


def test_the_list_pages_by_twenty(client, make, signed_in):
    for n in range(25):
        make.offer(name=f"Bulk offer {n:02d}", category="Bulk")
    first = client.get("/offers?tab=mine&category=Bulk").get_data(as_text=True)
    assert len(rows(first)) == 20 and "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/offers?tab=mine&category=Bulk&page=2").get_data(as_text=True)
    assert len(rows(second)) == 5 and not set(rows(first)) & set(rows(second)) and 'rel="prev"' in second


@pytest.mark.parametrize(("query", "field"), [
    ("status=expired", "status"), ("tab=deleted", "tab"), ("q=" + "x" * 201, "q"), ("q=%00", "q"),
    ("category=%00", "category"), ("page=9223372036854775808", "page"), ("page=-1", "page"), ("page=x", "page"),
])
def test_bad_list_parameters_are_a_400_naming_the_field(client, signed_in, query, field):
    response = client.get(f"/offers?{query}")
    assert response.status_code == 400
    assert f"{field}: " in response.get_data(as_text=True)


def test_the_offer_page_shows_its_facts(client, signed_in):
    w = signed_in
    page = client.get(f"/offers/{w.public.id}").get_data(as_text=True)
    assert "$12.50 per conversion" in page and "US, CA" in page and "100 conversions a day" in page
    assert "<p>Sell <strong>shoes</strong></p>" in page  # stored sanitised, rendered as stored
    assert "No email traffic." in page and "Summer landing page" in page


@pytest.mark.parametrize("name", ["secret", "others_private"])
def test_an_offer_the_partner_may_not_see_is_a_404(client, signed_in, name):
    offer_id = getattr(signed_in, name).id
    for path in (f"/offers/{offer_id}", f"/offers/{offer_id}/link"):
        response = client.get(path)
        assert response.status_code == 404 and "Exclusive" not in response.get_data(as_text=True)
    assert client.post(f"/offers/{offer_id}/apply", data={"note": "x"}).status_code == 404


@pytest.mark.parametrize("offer_id", ["0", "2147483648", "9223372036854775808", "99999"])
def test_unknown_and_huge_offer_ids_are_a_404(client, signed_in, offer_id):
    assert client.get(f"/offers/{offer_id}").status_code == 404


@pytest.mark.parametrize("name", ["approval", "pending", "rejected", "paused"])
def test_an_offer_the_partner_cannot_run_has_no_link_builder(client, signed_in, name):
    offer_id = getattr(signed_in, name).id
    page = client.get(f"/offers/{offer_id}").get_data(as_text=True)
    assert 'id="link-builder"' not in page and 'id="tracking-link"' not in page and "/c/" not in page
    assert 'id="creatives"' not in page and 'id="not-runnable"' in page
    response = client.get(f"/offers/{offer_id}/link?sub1=x")
    assert response.status_code == 400 and response.get_json()["field"] == "offer_id"


def test_the_builder_renders_the_link_on_the_server(client, signed_in):
    w = signed_in
    plain = link_of(client.get(f"/offers/{w.public.id}").get_data(as_text=True))
    assert plain == f"http://localhost/c/{w.partner.id}/{w.public.id}"
    page = client.get(f"/offers/{w.public.id}?url_id={w.landing.id}&sub1=spring+sale&sub5=a%26b&source_id=s1"
                      "&deep_link=https://advertiser.example/shoes?id=7").get_data(as_text=True)
    link = urlsplit(link_of(page))
    assert link.path == f"/c/{w.partner.id}/{w.public.id}"
    assert parse_qs(link.query) == {"uid": [str(w.landing.id)], "sub1": ["spring sale"], "sub5": ["a&b"],
                                    "source_id": ["s1"], "url": ["https://advertiser.example/shoes?id=7"]}
    assert 'value="spring sale"' in page  # the form keeps what was typed


def test_the_tracking_base_url_setting_is_used(make_app, tmp_path, make, login_as, db):
    app = make_app(STORAGE_DIR=str(tmp_path), TRACKING_BASE_URL="https://trk.example/")
    with app.app_context():
        w = offer_world.build(app, db, make)
        client = app.test_client()
        client.post("/login", data={"email": make.partner_user(w.partner).email,
                                    "password": "correct-horse-battery"})
        assert link_of(client.get(f"/offers/{w.public.id}").get_data(as_text=True)).startswith("https://trk.example/c/")


def test_the_deep_link_field_shows_only_where_the_offer_allows_it(client, db, signed_in):
    w = signed_in
    assert 'name="deep_link"' in client.get(f"/offers/{w.public.id}").get_data(as_text=True)
    w.public.deep_links_allowed = False
    db.session.commit()
    page = client.get(f"/offers/{w.public.id}")
    assert 'name="deep_link"' not in page.get_data(as_text=True)
    refused = client.get(f"/offers/{w.public.id}?deep_link=https://advertiser.example/x")
    assert refused.status_code == 400 and "Deep link: this offer does not allow deep links" in refused.get_data(
        as_text=True)


def test_a_deep_link_off_the_offers_site_is_refused_and_the_hint_names_the_site(client, signed_in):
    w = signed_in
    page = client.get(f"/offers/{w.public.id}").get_data(as_text=True)
    assert "on advertiser.example or a subdomain of it" in page
    refused = client.get(f"/offers/{w.public.id}?deep_link=https://evil.example/x")
    assert refused.status_code == 400
    assert "Deep link: must be on the offer&#39;s own site: advertiser.example" in refused.get_data(as_text=True)


@pytest.mark.parametrize(("query", "label"), [
    ("sub1=" + "x" * 501, "Sub 1"), ("sub3=a%01b", "Sub 3"), ("source_id=%00", "Source ID"),
    ("url_id=99999", "Landing page"), ("url_id=abc", "Landing page"), ("url_id=9223372036854775808", "Landing page"),
    ("deep_link=javascript:alert(1)", "Deep link"), ("deep_link=ftp://advertiser.example/", "Deep link"),
])
def test_a_bad_builder_value_is_a_400_naming_the_field(client, signed_in, query, label):
    w = signed_in
    response = client.get(f"/offers/{w.public.id}?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400, query
    assert re.search(rf'id="link-error"[^>]*>{label}: ', page), query
    assert link_of(page) == ""  # no link for a request that was refused
    answer = client.get(f"/offers/{w.public.id}/link?{query}")
    assert answer.status_code == 400 and answer.get_json()["error"].startswith(f"{label}: ")


def test_the_builder_json_follows_the_fields(client, signed_in):
    w = signed_in
    answer = client.get(f"/offers/{w.public.id}/link?sub1=abc&url_id=0").get_json()
    assert answer["url"] == f"http://localhost/c/{w.partner.id}/{w.public.id}?sub1=abc"
    assert answer["impression_code"] == (f'<img src="http://localhost/i/{w.partner.id}/{w.public.id}" width="1" '
                                         'height="1" alt="" style="border:0">')


def test_the_impression_pixel_is_shown_as_code(client, signed_in):
    w = signed_in
    page = client.get(f"/offers/{w.public.id}").get_data(as_text=True)
    code = re.search(r'id="impression-pixel">(.*?)</code>', page, re.S)[1]
    assert code.startswith("&lt;img src=") and f"/i/{w.partner.id}/{w.public.id}" in code


def test_the_partners_coupon_codes_show_on_the_offer_and_their_page(client, signed_in):
    w = signed_in
    page = client.get(f"/offers/{w.public.id}").get_data(as_text=True)
    assert "BLUEBIRD10" in page and "OTHER20" not in page
    codes = client.get("/offers/coupon-codes").get_data(as_text=True)
    assert "BLUEBIRD10" in codes and "10% off" in codes and "OTHER20" not in codes
    assert client.get("/offers/coupon-codes?page=9223372036854775808").status_code == 400


def test_the_offers_pages_have_no_not_built_notice(client, signed_in):
    for path in ("/offers", "/offers?tab=all", "/offers/coupon-codes", f"/offers/{signed_in.public.id}"):
        assert "data-not-built" not in client.get(path).get_data(as_text=True)


def test_the_offers_menu_entry_stays_current_on_every_offers_page(client, signed_in):
    for path in ("/offers", "/offers/coupon-codes", f"/offers/{signed_in.public.id}"):
        header = client.get(path).get_data(as_text=True).split("</header>")[0]
        assert '<a href="/offers" aria-current="page">Offers</a>' in header, path


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(st.characters(exclude_categories=["Cs"]), max_size=40))
def test_whatever_is_typed_as_a_sub_id_comes_back_whole_or_is_refused_by_name(client, signed_in, value):
    w = signed_in
    response = client.get(f"/offers/{w.public.id}?sub1={quote(value.encode())}&sub2=fixed")
    page = response.get_data(as_text=True)
    if response.status_code == 400:
        assert 'id="link-error"' in page and ">Sub 1: " in page
        assert any(ord(c) < 32 or ord(c) == 127 for c in value)
        return
    assert response.status_code == 200
    link = urlsplit(link_of(page))
    assert link.netloc == "localhost" and link.path == f"/c/{w.partner.id}/{w.public.id}"
    query = parse_qs(link.query, keep_blank_values=True)
    assert query.get("sub1") == ([value.strip()] if value.strip() else None) and query["sub2"] == ["fixed"]
