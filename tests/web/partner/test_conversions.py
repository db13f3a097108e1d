"""The Conversions pages: the partner's own conversions, filtered and paged; details by id (another partner's
is a 404); the on-hold list; click lookup; clear 400s; and exports of every matching row, not one page."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from portal.affiliate import AffiliateScope
from portal.affiliate.parsing import conversion_query

DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
WINDOW = "preset=custom&from=2026-03-08&to=2026-03-12"


def _ids(page: str) -> list[str]:
    return re.findall(r'<tr data-conversion-id="(\w+)">', page)


def _error(page: str) -> str:
    return html.unescape(re.search(r'id="form-error">([^<]*)<', page).group(1))


@pytest.fixture
def world(make):
    offer, other_offer = make.offer(name="Acme Shoes"), make.offer(name="Zen Tea")
    alpha, beta = make.partner(name="Alpha Media"), make.partner(name="Beta Deals")
    click = make.click(alpha, offer, at=DAY - timedelta(minutes=5), sub1="spring")
    conversions = {
        "approved": make.conversion(alpha, offer, at=DAY, payout_cents=1250, sub1="spring",
                                    transaction_id=click.transaction_id),
        "pending": make.conversion(alpha, offer, at=DAY + timedelta(hours=1), payout_cents=300, status="pending",
                                   sub2="blue"),
        "rejected": make.conversion(alpha, other_offer, at=DAY + timedelta(hours=2), payout_cents=700,
                                    status="rejected"),
        "on_hold": make.conversion(alpha, offer, at=DAY + timedelta(hours=3), payout_cents=4000, status="on_hold",
                                   hold_until=datetime(2026, 4, 9, 12, 0, tzinfo=UTC)),
        "test": make.conversion(alpha, offer, at=DAY, payout_cents=99, is_test=True),
    }
    beta_conversion = make.conversion(beta, offer, at=DAY, payout_cents=700_000, sub1="beta-secret")
    beta_click = make.click(beta, offer, at=DAY, sub1="beta-secret")
    return {"alpha": alpha, "offer": offer, "other_offer": other_offer, "click": click, "conversions": conversions,
            "beta_conversion": beta_conversion, "beta_click": beta_click}


@pytest.fixture
def signed_in(client, make, login_as, world):
    login_as.partner(make.partner_user(world["alpha"]))
    return client


def _id(world, name: str) -> str:
    return world["conversions"][name].conversion_id


def test_the_list_shows_only_the_partners_own_conversions(signed_in, world):
    page = signed_in.get(f"/conversions?{WINDOW}").get_data(as_text=True)
    expected = [_id(world, n) for n in ("on_hold", "rejected", "pending", "approved")]  # newest first
    assert _ids(page) == expected
    assert world["beta_conversion"].conversion_id not in page and "beta-secret" not in page
    assert "$7,000.00" not in page and "$12.50" in page
    assert re.search(r'id="conversion-count">4<', page)


@pytest.mark.parametrize(("filters", "expected"), [
    ("status=pending", ["pending"]),
    ("status=rejected&status=pending", ["rejected", "pending"]),
    ("sub1=spring", ["approved"]),
    ("sub2=blue", ["pending"]),
    ("transaction_id={tx}", ["approved"]),
    ("offer={other_offer}", ["rejected"]),
    ("sub1=beta-secret", []),
])
def test_filters(signed_in, world, filters, expected):
    query = filters.format(tx=world["click"].transaction_id, other_offer=world["other_offer"].id)
    page = signed_in.get(f"/conversions?{WINDOW}&{query}").get_data(as_text=True)
    assert _ids(page) == [_id(world, n) for n in expected]


def test_test_conversions_only_when_asked_for(signed_in, world):
    assert _id(world, "test") not in _ids(signed_in.get(f"/conversions?{WINDOW}").get_data(as_text=True))
    with_test = signed_in.get(f"/conversions?{WINDOW}&include_test_data=1").get_data(as_text=True)
    assert _id(world, "test") in _ids(with_test) and len(_ids(with_test)) == 5


def test_sorting_through_the_url(signed_in, world):
    page = signed_in.get(f"/conversions?{WINDOW}&order_field=revenue&order_direction=asc").get_data(as_text=True)
    assert _ids(page) == [_id(world, n) for n in ("pending", "rejected", "approved", "on_hold")]
    link = html.unescape(re.search(r'<a href="([^"]+)" data-sort="revenue">', page).group(1))
    assert "order_direction=desc" in link


def test_a_conversion_in_detail(signed_in, world):
    page = signed_in.get(f"/conversions/{_id(world, 'approved')}").get_data(as_text=True)
    assert "$12.50" in page and "spring" in page and "Acme Shoes" in page
    assert f"/clicks/lookup?transaction_id={world['click'].transaction_id}" in page
    held = signed_in.get(f"/conversions/{_id(world, 'on_hold')}").get_data(as_text=True)
    assert "Holding period ends" in held and "2026-04-09 12:00" in held


@pytest.mark.parametrize("conversion_id", ["beta", "0" * 32, "x" * 65, "no-such-id"])
def test_another_partners_conversion_or_an_unknown_one_is_a_404(signed_in, world, conversion_id):
    if conversion_id == "beta":
        conversion_id = world["beta_conversion"].conversion_id
    response = signed_in.get(f"/conversions/{conversion_id}")
    assert response.status_code == 404
    assert b"Not found" in response.data and b"700,000" not in response.data


def test_pages(client, make, login_as):
    partner, offer = make.partner(), make.offer()
    made = {make.conversion(partner, offer, at=DAY + timedelta(minutes=n)).conversion_id for n in range(60)}
    login_as.partner(make.partner_user(partner))
    first = client.get(f"/conversions?{WINDOW}&page_size=25").get_data(as_text=True)
    assert len(_ids(first)) == 25 and "Page 1 of 3" in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = client.get(f"/conversions?{WINDOW}&page_size=25&page=3").get_data(as_text=True)
    assert len(_ids(last)) == 10 and 'rel="next"' not in last and 'rel="prev"' in last
    seen = [i for n in (1, 2, 3) for i in _ids(client.get(f"/conversions?{WINDOW}&page_size=25&page={n}")
                                              .get_data(as_text=True))]
    assert len(seen) == 60 and set(seen) == made


def test_the_on_hold_tab_lists_held_conversions_and_when_each_hold_ends(signed_in, world):
    page = signed_in.get(f"/conversions/on-hold?{WINDOW}").get_data(as_text=True)
    assert _ids(page) == [_id(world, "on_hold")]
    assert re.search(r'data-field="hold_until">2026-04-09 12:00<', page)
    assert "Hold ends" in page


BAD_PAGING = [
    (f"{WINDOW}&page_size=2001", "page_size: must be at most 2000"),
    (f"{WINDOW}&page=0", "page: must be a whole number, 1 or more"),
    (f"{WINDOW}&page_size=lots", "page_size: must be a whole number"),
]
BAD_CRITERIA = [
    ("preset=custom&from=2026-03-10&to=2026-03-01", "from: must not be after to"),
    ("preset=custom&from=2025-01-01&to=2026-03-01", "to: the range from `from` to `to` may span at most one year"),
    ("preset=custom&from=2026-03-01&to=2026-03-32", "to: must be a date"),
    ("preset=custom&to=2026-03-01", "from: is required"),
    (f"{WINDOW}&status=paid", "query.filters: status must be one of"),
    (f"{WINDOW}&order_field=payout_cents", "order_field: must be one of"),
    (f"{WINDOW}&order_direction=up", "order_direction: must be asc or desc"),
    (f"{WINDOW}&timezone=Mars/Olympus", "timezone: unknown timezone"),
]
PAGES = ("/conversions", "/conversions/on-hold")
EXPORTS = ("/conversions/export.csv", "/conversions/on-hold/export.json")


@pytest.mark.parametrize(("path", "query", "message"),
                         [(p, q, m) for p in PAGES for q, m in BAD_PAGING + BAD_CRITERIA]
                         + [(p, q, m) for p in EXPORTS for q, m in BAD_CRITERIA])  # exports are not paged
def test_bad_input_is_a_400_that_names_the_problem(signed_in, path, query, message):
    response = signed_in.get(f"{path}?{query}")
    assert response.status_code == 400
    assert _error(response.get_data(as_text=True)).startswith(message)


def test_an_unknown_hold_filter_is_a_400(signed_in):
    response = signed_in.get(f"/conversions/on-hold?{WINDOW}&on_hold_status=forever")
    assert response.status_code == 400
    assert _error(response.get_data(as_text=True)).startswith("on_hold_status_filter: must be on_hold")


def test_the_export_holds_every_matching_row_not_one_page(client, make, login_as):
    partner, offer = make.partner(), make.offer()
    for n in range(120):
        make.conversion(partner, offer, at=DAY + timedelta(minutes=n), payout_cents=100 + n, sub1=f"s{n}")
    make.conversion(partner, offer, at=DAY, is_test=True)
    login_as.partner(make.partner_user(partner))
    page = client.get(f"/conversions?{WINDOW}&page_size=50&page=2").get_data(as_text=True)
    links = {fmt: html.unescape(re.search(rf'href="(/conversions/export\.{fmt}\?[^"]+)"', page).group(1))
             for fmt in ("csv", "json")}
    assert "page=" not in links["csv"] and "page_size=" not in links["csv"]

    csv = client.get(links["csv"])
    assert csv.status_code == 200
    assert csv.headers["Content-Disposition"].startswith("attachment")
    assert "conversions" in csv.headers["Content-Disposition"] and "2026-03-08" in csv.headers["Content-Disposition"]
    frame = pd.read_csv(io.BytesIO(csv.data))
    rows = json.loads(client.get(links["json"]).data)
    counted = AffiliateScope(partner).conversion_count(conversion_query(
        {"from": "2026-03-08", "to": "2026-03-12", "show_conversions": True, "show_events": True}, "UTC"))
    assert len(frame) == len(rows) == counted == 120
    assert sorted(frame["sub1"]) == sorted(f"s{n}" for n in range(120))


@pytest.mark.parametrize("path", ["/conversions", "/conversions/on-hold"])
def test_the_excel_friendly_export_is_the_csv_after_a_byte_order_mark(signed_in, world, path):
    page = html.unescape(signed_in.get(f"{path}?{WINDOW}&on_hold_status=").get_data(as_text=True))
    plain = re.search(r'href="([^"]+)" download data-export>Export CSV', page).group(1)
    excel = re.search(r'href="([^"]+)" download data-export="excel"', page).group(1)
    plain_file, excel_file = signed_in.get(plain), signed_in.get(excel)
    assert excel_file.data[:3] == b"\xef\xbb\xbf" and plain_file.data[:3] != b"\xef\xbb\xbf"
    assert excel_file.data[3:] == plain_file.data and len(plain_file.data) > 100
    assert b"beta-secret" not in excel_file.data
    assert world["beta_conversion"].conversion_id.encode() not in excel_file.data


def test_the_on_hold_export_holds_the_held_conversions(signed_in, world):
    page = signed_in.get(f"/conversions/on-hold?{WINDOW}").get_data(as_text=True)
    link = html.unescape(re.search(r'href="(/conversions/on-hold/export\.csv\?[^"]+)"', page).group(1))
    frame = pd.read_csv(io.BytesIO(signed_in.get(link).data))
    assert list(frame["conversion_id"]) == [_id(world, "on_hold")]


def test_click_lookup_shows_the_partners_own_click(signed_in, world):
    page = signed_in.get(f"/clicks/lookup?transaction_id={world['click'].transaction_id}").get_data(as_text=True)
    assert 'id="click-detail"' in page and "spring" in page and "Acme Shoes" in page


def test_click_lookup_shows_where_an_invalid_click_came_from_and_why_it_went_nowhere(signed_in, make, world):
    invalid = make.click(world["alpha"], make.offer(), at=DAY, country="FR", region="Île-de-France", city="Paris",
                         error_code=3, error_message="Offer is paused")
    page = signed_in.get(f"/clicks/lookup?transaction_id={invalid.transaction_id}").get_data(as_text=True)
    assert "Île-de-France" in page and "Paris" in page
    assert "Offer is paused" in re.search(r'id="click-error">([^<]*)<', page).group(1)
    assert 'id="click-earned"' not in page  # not paid per click


def test_click_lookup_shows_what_a_cpc_click_earned(signed_in, make, world):
    cpc = make.offer(payout_type="cpc", payout_amount=45)
    click = make.click(world["alpha"], cpc, at=DAY)
    page = signed_in.get(f"/clicks/lookup?transaction_id={click.transaction_id}").get_data(as_text=True)
    assert re.search(r'id="click-earned">([^<]*)<', page).group(1) == "$0.45"
    assert 'id="click-error"' not in page


def test_click_lookup_answers_alike_for_unknown_and_foreign_ids(signed_in, world):
    foreign_id, unknown_id = world["beta_click"].transaction_id, "f" * 32
    foreign = signed_in.get(f"/clicks/lookup?transaction_id={foreign_id}")
    unknown = signed_in.get(f"/clicks/lookup?transaction_id={unknown_id}")
    assert foreign.status_code == unknown.status_code == 404
    assert "No click with that transaction id" in foreign.get_data(as_text=True)
    assert foreign.get_data(as_text=True).replace(foreign_id, unknown_id) == unknown.get_data(as_text=True)
    assert "beta-secret" not in foreign.get_data(as_text=True)
