"""The Reports page: the partner's own numbers by the chosen dimensions, sortable, with totals, a chart,
presets in the partner's timezone, bookmarkable parameters, clear 400s, and exports of what is on screen."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from portal.domain.records import Metrics
from portal.web.partner.chart import axis_range, line_chart, nice_step
from portal.web.partner.report_form import period_of, preset_days
from portal.web.partner.report_table import BY_KEY, epc_text, metric_text

DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
WINDOW = "preset=custom&from=2026-03-08&to=2026-03-12"


def _rows(page: str) -> list[dict[str, str]]:
    """The report table's body rows as {column or metric: text}."""
    body = re.search(r'<table[^>]*id="report-table".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = dict(re.findall(r'data-(?:column|metric)="(\w+)">([^<]*)<', row))
        if cells:
            rows.append({k: html.unescape(v) for k, v in cells.items()})
    return rows


def _totals(page: str) -> dict[str, str]:
    foot = re.search(r'<tr class="totals">(.*?)</tr>', page, re.S).group(1)
    return {k: html.unescape(v) for k, v in re.findall(r'data-metric="(\w+)">([^<]*)<', foot)}


def _cents(text: str) -> int:
    return int(Decimal(text.replace("$", "").replace(",", "")) * 100)


def _error(page: str) -> str:
    return html.unescape(re.search(r'id="form-error">([^<]*)<', page).group(1))


@pytest.fixture
def alpha(make):
    """Alpha's traffic on 9 and 10 March by sub1, plus a test conversion; Beta's much bigger traffic alongside."""
    offer = make.offer(name="Acme Shoes")
    alpha, beta = make.partner(name="Alpha Media"), make.partner(name="Beta Deals")
    for sub1, clicks, payouts, at in (("spring", 4, (1250, 250), DAY), ("summer", 2, (500,), DAY),
                                      ("spring", 3, (100,), DAY - timedelta(days=1))):
        for _ in range(clicks):
            make.click(alpha, offer, at=at, sub1=sub1)
        for payout in payouts:
            make.conversion(alpha, offer, at=at, payout_cents=payout, sub1=sub1)
    make.conversion(alpha, offer, at=DAY, payout_cents=999_00, sub1="spring", is_test=True)
    for _ in range(9):
        make.click(beta, offer, at=DAY, sub1="beta-secret")
    make.conversion(beta, offer, at=DAY, payout_cents=7_000_00, sub1="beta-secret")
    return alpha


@pytest.fixture
def signed_in(client, make, login_as, alpha):
    login_as.partner(make.partner_user(alpha))
    return client


def test_the_report_shows_the_partners_own_rows(signed_in):
    page = signed_in.get(f"/reports?{WINDOW}&column=sub1").get_data(as_text=True)
    rows = {r["sub1"]: r for r in _rows(page)}
    assert set(rows) == {"spring", "summer"}
    assert rows["spring"]["total_click"] == "7" and rows["spring"]["cv"] == "3"
    assert rows["spring"]["revenue"] == "$16.00" and rows["summer"]["revenue"] == "$5.00"
    assert "beta-secret" not in page and "7,000.00" not in page and "Beta Deals" not in page


def test_rates_and_money_are_written_for_people(signed_in):
    rows = {r["sub1"]: r for r in _rows(signed_in.get(f"/reports?{WINDOW}&column=sub1").get_data(as_text=True))}
    assert rows["summer"]["cvr"] == "50.00%" and rows["summer"]["rpc"] == "$2.5000"
    assert rows["spring"]["cvr"] == "42.86%" and rows["spring"]["rpc"] == "$2.2857"


def test_impressions_ctr_and_invalid_clicks_are_columns_and_exported(signed_in, make, alpha):
    offer = make.offer(name="Banner Offer")
    for _ in range(8):
        make.impression(alpha, offer, at=DAY, sub1="banner")
    make.click(alpha, offer, at=DAY, sub1="banner")
    make.click(alpha, offer, at=DAY, sub1="banner", error_code=3, error_message="offer is paused")
    page = signed_in.get(f"/reports?{WINDOW}&column=sub1").get_data(as_text=True)
    banner = {r["sub1"]: r for r in _rows(page)}["banner"]
    assert (banner["imp"], banner["total_click"], banner["invalid_click"], banner["ctr"]) == ("8", "1", "1", "12.50%")
    assert _totals(page)["imp"] == "8"
    exported = pd.read_csv(io.BytesIO(signed_in.get(_export_link(page, "csv")).data)).set_index("sub1")
    assert (exported.loc["banner", "impressions"], exported.loc["banner", "ctr"]) == (8, 12.5)
    assert exported.loc["banner", "invalid_clicks"] == 1
    as_json = {r["sub1"]: r for r in json.loads(signed_in.get(_export_link(page, "json")).data)}
    assert (as_json["banner"]["impressions"], as_json["banner"]["ctr"]) == (8, 12.5)


def test_the_totals_row_is_the_sum_of_the_rows(signed_in):
    page = signed_in.get(f"/reports?{WINDOW}&column=date&column=sub1").get_data(as_text=True)
    rows, totals = _rows(page), _totals(page)
    assert len(rows) == 3
    for metric in ("total_click", "unique_click", "cv", "event"):
        assert int(totals[metric]) == sum(int(r[metric]) for r in rows)
    assert _cents(totals["revenue"]) == sum(_cents(r["revenue"]) for r in rows) == 2100
    assert totals["cvr"] == "44.44%"  # 4 conversions per 9 clicks: derived from the totals, not summed


@pytest.mark.parametrize(("query", "expected"), [
    ("column=sub1&sort=revenue&dir=desc", ["spring", "summer"]),
    ("column=sub1&sort=revenue&dir=asc", ["summer", "spring"]),
    ("column=sub1&sort=sub1&dir=desc", ["summer", "spring"]),
    ("column=sub1&sort=cvr&dir=desc", ["summer", "spring"]),
])
def test_columns_sort_through_the_url(signed_in, query, expected):
    page = signed_in.get(f"/reports?{WINDOW}&{query}").get_data(as_text=True)
    assert [r["sub1"] for r in _rows(page)] == expected


def test_sort_headers_link_to_the_other_direction(signed_in):
    page = html.unescape(signed_in.get(f"/reports?{WINDOW}&column=sub1&sort=revenue&dir=desc").get_data(as_text=True))
    link = re.search(r'<a href="([^"]+)" data-sort="revenue">', page).group(1)
    assert parse_qs(urlsplit(link).query)["dir"] == ["asc"]
    assert 'aria-sort="descending"' in page
    dates = [r["date"] for r in _rows(signed_in.get(f"/reports?{WINDOW}&column=date&sort=date").get_data(as_text=True))]
    assert dates == sorted(dates) and len(dates) == 2


def test_test_conversions_only_when_asked_for(signed_in):
    without = _totals(signed_in.get(f"/reports?{WINDOW}&column=sub1").get_data(as_text=True))
    with_test = _totals(signed_in.get(f"/reports?{WINDOW}&column=sub1&include_test_data=1").get_data(as_text=True))
    assert without["revenue"] == "$21.00" and without["cv"] == "4"
    assert with_test["revenue"] == "$1,020.00" and with_test["cv"] == "5"


def test_a_time_dimension_draws_the_chosen_metric(signed_in):
    page = signed_in.get(f"/reports?{WINDOW}&column=date&column=sub1&metric=cv").get_data(as_text=True)
    svg = re.search(r'<svg id="report-chart-cv".*?</svg>', page, re.S).group(0)
    assert "Conversions by date" in svg
    dots = re.findall(r"<title>([^<]*)</title></circle>", svg)
    assert dots == ["2026-03-09: 1", "2026-03-10: 3"]  # two sub1 rows of the 10th added up
    assert "report-chart" not in signed_in.get(f"/reports?{WINDOW}&column=sub1").get_data(as_text=True)


def test_every_metric_is_charted_and_only_the_chosen_one_shows(signed_in):
    """The page's script switches charts without running the report again: every metric's chart is there."""
    page = signed_in.get(f"/reports?{WINDOW}&column=date&metric=cv").get_data(as_text=True)
    figures = dict(re.findall(r'<figure class="chart" data-chart="(\w+)" ?(hidden)?>', page))
    assert set(figures) == set(BY_KEY)
    assert [key for key, hidden in figures.items() if not hidden] == ["cv"]
    earnings = re.search(r'<svg id="report-chart-revenue".*?</svg>', page, re.S).group(0)
    assert re.findall(r"<title>([^<]*)</title></circle>", earnings) == ["2026-03-09: $1.00", "2026-03-10: $20.00"]


def test_the_sub_id_report_is_one_click_away(signed_in):
    page = html.unescape(signed_in.get("/reports").get_data(as_text=True))
    link = re.search(r'href="([^"]+)" data-sub-id-report="sub1"', page).group(1)
    assert parse_qs(urlsplit(link).query) == {"preset": ["last_30_days"], "column": ["sub1"], "sort": ["revenue"],
                                              "dir": ["desc"]}
    report = signed_in.get(link)
    assert report.status_code == 200
    assert 'data-sort="sub1"' in report.get_data(as_text=True)


def test_the_form_is_a_get_form_so_the_report_can_be_bookmarked(signed_in):
    page = signed_in.get(f"/reports?{WINDOW}&column=offer&offer=1&status=approved").get_data(as_text=True)
    assert '<form method="get" action="/reports"' in page
    assert 'name="from" value="2026-03-08"' in page and 'name="to" value="2026-03-12"' in page
    assert 'value="offer" checked' in page and '<option value="approved" selected>' in page


@pytest.mark.parametrize(("today", "preset", "first", "last"), [
    (date(2026, 3, 10), "today", date(2026, 3, 10), date(2026, 3, 10)),
    (date(2026, 1, 1), "yesterday", date(2025, 12, 31), date(2025, 12, 31)),
    (date(2026, 3, 10), "last_7_days", date(2026, 3, 4), date(2026, 3, 10)),
    (date(2026, 3, 10), "last_30_days", date(2026, 2, 9), date(2026, 3, 10)),
    (date(2026, 3, 10), "this_month", date(2026, 3, 1), date(2026, 3, 10)),
    (date(2024, 3, 31), "last_month", date(2024, 2, 1), date(2024, 2, 29)),
    (date(2026, 1, 15), "last_month", date(2025, 12, 1), date(2025, 12, 31)),
])
def test_presets_are_whole_local_days(today, preset, first, last):
    assert preset_days(preset, today) == (first, last)


def test_presets_count_days_in_the_chosen_timezone():
    now = datetime(2026, 11, 2, 7, 30, tzinfo=UTC)  # still 1 November in Los Angeles
    la = period_of({"preset": "today"}, "America/Los_Angeles", now, "last_7_days")
    utc = period_of({"preset": "today", "timezone": "UTC"}, "America/Los_Angeles", now, "last_7_days")
    assert (la.first, la.last) == ("2026-11-01", "2026-11-01")
    assert (utc.first, utc.last, utc.timezone) == ("2026-11-02", "2026-11-02", "UTC")


def test_the_page_counts_presets_in_the_partners_timezone(client, make, login_as):
    # A zone whose date differs from UTC's at the moment the test runs (11 hours behind, or 14 ahead), so that
    # a preset read in UTC would show the wrong day; neither name is in Everflow's table (Pago Pago and
    # Kiritimati are).
    zone = "Etc/GMT+11" if datetime.now(UTC).hour < 10 else "Etc/GMT-14"
    partner = make.partner(timezone=zone)
    make.conversion(partner, make.offer(), payout_cents=4321, sub1="now")
    login_as.partner(make.partner_user(partner))
    page = client.get("/reports?preset=today&column=sub1").get_data(as_text=True)
    today = datetime.now(ZoneInfo(zone)).date().isoformat()
    assert today != datetime.now(UTC).date().isoformat()
    assert f'name="from" value="{today}"' in page and f'name="to" value="{today}"' in page
    assert [r["revenue"] for r in _rows(page)] == ["$43.21"]
    # The zone is not in the picker's list: it is offered, and chosen, as the account's own.
    assert f"<option value=\"\" selected>Your account's timezone ({zone})</option>" in page


def test_the_picker_offers_everflows_zones_and_keeps_a_bookmarked_other_zone(client, make, login_as):
    partner = make.partner(timezone="Europe/London")
    make.conversion(partner, make.offer(), at=datetime(2026, 3, 9, 23, 30, tzinfo=UTC), sub1="late")  # 00:30 CET
    login_as.partner(make.partner_user(partner))
    page = client.get(f"/reports?{WINDOW}&column=date").get_data(as_text=True)
    offered = re.findall(r'<option value="([^"]*)"[^>]*>[^<]*\(UTC[+-]', page)
    assert len(offered) == 99 and {"Africa/Johannesburg", "Europe/London", "Asia/Rangoon"} <= set(offered)
    assert re.search(r'<option value="Europe/London" selected>London \(UTC', page)
    assert "Your account's timezone" not in page  # London is in the list
    # A bookmark from when the list had Madrid: still read in Madrid, and shown as the chosen zone.
    madrid = client.get(f"/reports?{WINDOW}&column=date&timezone=Europe/Madrid").get_data(as_text=True)
    assert '<option value="Europe/Madrid" selected>Europe/Madrid</option>' in madrid
    assert [r["date"] for r in _rows(madrid)] == ["2026-03-10"]


@pytest.mark.parametrize(("query", "message"), [
    ("preset=custom&from=2026-03-10&to=2026-03-01&column=sub1", "from: must not be after to"),
    ("preset=custom&from=2024-01-01&to=2025-06-01&column=sub1",
     "to: the range from `from` to `to` may span at most one year"),
    ("preset=custom&from=2026-02-30&to=2026-03-01&column=sub1", "from: must be a date, YYYY-MM-DD or YYYY-MM-DD"),
    ("preset=custom&from=yesterday&to=2026-03-01&column=sub1", "from: must be a date"),
    ("preset=custom&from=&to=2026-03-01&column=sub1", "from: is required"),
    (f"{WINDOW}&column=bogus", "columns: unknown column 'bogus'"),
    (f"{WINDOW}&column=date&column=week", "columns: at most one time column"),
    (f"{WINDOW}&column=sub1&timezone=Mars/Olympus", "timezone: unknown timezone"),
    ("preset=fortnight&column=sub1", "preset: must be one of today, yesterday"),
    (f"{WINDOW}&column=sub1&status=paid", "query.filters: status must be one of"),
    (f"{WINDOW}&column=sub1&offer=acme", "query.filters: an offer filter's filter_id_value is the offer id"),
    (f"{WINDOW}&column=sub1&sort=country", "sort: must be one of the report's columns"),
    (f"{WINDOW}&column=sub1&dir=sideways", "dir: must be one of asc, desc"),
    (f"{WINDOW}&column=sub1&metric=profit", "metric: must be one of"),
])
@pytest.mark.parametrize("path", ["/reports", "/reports/export.csv"])
def test_bad_input_is_a_400_that_names_the_problem(signed_in, path, query, message):
    response = signed_in.get(f"{path}?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _error(page).startswith(message)
    assert 'id="report-form"' in page  # the form is still there to correct


def _export_link(page: str, fmt: str) -> str:
    return html.unescape(re.search(rf'href="(/reports/export\.{fmt}\?[^"]+)"', page).group(1))


@pytest.mark.parametrize(("columns", "name"), [
    ("column=sub1", "report_sub1_2026-03-08_2026-03-12"),
    ("column=date&column=offer", "report_date_offer_2026-03-08_2026-03-12"),
    ("", "report_date_2026-03-08_2026-03-12"),  # the default grouping, named too
])
def test_an_export_file_names_its_grouping(signed_in, columns, name):
    page = signed_in.get(f"/reports?{WINDOW}&{columns}").get_data(as_text=True)
    for fmt in ("csv", "json"):
        exported = signed_in.get(_export_link(page, fmt))
        assert exported.status_code == 200 and exported.data  # read to the end: the body is streamed
        assert exported.headers["Content-Disposition"] == f'attachment; filename="{name}.{fmt}"'


def test_the_excel_friendly_csv_starts_with_a_byte_order_mark_and_the_plain_one_does_not(signed_in, make, alpha):
    make.conversion(alpha, make.offer(), at=datetime(2026, 3, 10, 12, tzinfo=UTC), sub1="café-ñandú-😀")
    page = html.unescape(signed_in.get(f"/reports?{WINDOW}&column=sub1").get_data(as_text=True))
    excel_link = re.search(r'href="([^"]+)" download data-export="excel"', page).group(1)
    assert parse_qs(urlsplit(excel_link).query)["excel"] == ["1"]
    plain, excel = signed_in.get(_export_link(page, "csv")), signed_in.get(excel_link)
    assert excel.status_code == plain.status_code == 200
    assert excel.data.startswith(b"\xef\xbb\xbf") and not plain.data.startswith(b"\xef\xbb\xbf")
    assert excel.data[3:] == plain.data  # the same file otherwise
    assert "café-ñandú-😀" in excel.data.decode("utf-8-sig")
    assert excel.headers["Content-Disposition"] == plain.headers["Content-Disposition"]
    # JSON has no byte-order mark, whatever the query string says.
    assert not signed_in.get(_export_link(page, "json") + "&excel=1").data.startswith(b"\xef\xbb\xbf")


def test_exports_hold_exactly_the_rows_on_screen(signed_in):
    page = signed_in.get(f"/reports?{WINDOW}&column=date&column=sub1&sort=revenue&dir=desc"
                         "&include_test_data=1").get_data(as_text=True)
    link = _export_link(page, "csv")
    query = parse_qs(urlsplit(link).query)
    assert query["column"] == ["date", "sub1"] and query["include_test_data"] == ["1"]
    assert query["sort"] == ["revenue"] and query["dir"] == ["desc"]

    csv = signed_in.get(link)
    assert csv.status_code == 200
    assert "attachment" in csv.headers["Content-Disposition"]
    frame = pd.read_csv(io.BytesIO(csv.data))
    json_rows = json.loads(signed_in.get(_export_link(page, "json")).data)
    screen = _rows(page)
    assert len(frame) == len(json_rows) == len(screen) == 3
    assert list(frame["sub1"]) == [r["sub1"] for r in screen] == [r["sub1"] for r in json_rows]


def test_an_export_pins_the_days_of_a_preset(signed_in):
    """A link copied late in the evening still exports the days that were on screen."""
    page = signed_in.get("/reports?preset=last_7_days").get_data(as_text=True)
    today = datetime.now(UTC).date()  # the partner's timezone is UTC
    query = parse_qs(urlsplit(_export_link(page, "json")).query)
    assert query["preset"] == ["custom"] and query["column"] == ["date"]  # the default column, made explicit
    assert query["from"] == [(today - timedelta(days=6)).isoformat()] and query["to"] == [today.isoformat()]


# --- the pure parts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cents", "currency", "text"), [
    (Decimal(100) / 3, "USD", "$0.3333"), (Decimal(25), "USD", "$0.2500"), (Decimal(150), "EUR", "€1.5000"),
    (Decimal(12.5), "GBP", "£0.1250"), (Decimal(123456), "CHF", "1,234.5600 CHF"), (Decimal(0), "USD", "$0.0000"),
    (Decimal("0.005"), "USD", "$0.0001"),
])
def test_epc_always_has_four_decimals(cents, currency, text):
    assert epc_text(cents, currency) == text


def test_epc_and_cvr_come_from_the_totals():
    metrics = Metrics(total_click=3, cv=1, revenue_cents=100)
    assert metric_text(BY_KEY["rpc"], metrics, "USD") == "$0.3333"
    assert metric_text(BY_KEY["cvr"], metrics, "USD") == "33.33%"
    assert metric_text(BY_KEY["rpc"], Metrics(), "USD") == "$0.0000"


@pytest.mark.parametrize(("raw", "step"), [(0.3, 0.5), (1, 1), (1.2, 2), (3, 5), (7, 10), (2500, 5000), (0.013, 0.02)])
def test_axis_steps_are_round(raw, step):
    assert nice_step(raw) == pytest.approx(step)


def test_axis_includes_zero_and_counts_step_by_whole_numbers():
    assert axis_range([3, 7, 5], whole=False) == (0, 8, 2)
    assert axis_range([1], whole=True) == (0, 1, 1)
    assert axis_range([-150, 400], whole=False) == (-200, 400, 200)


def test_the_chart_puts_larger_values_higher():
    chart = line_chart([("a", 0), ("b", 10), ("c", 5)], str)
    assert chart.path.startswith("M") and chart.path.count("L") == 2
    low, high, middle = (dot.y for dot in chart.dots)
    assert high < middle < low == chart.bottom
    assert [t.label for t in chart.x_ticks] == ["a", "b", "c"]
    assert line_chart([], str) is None
    single = line_chart([("only", 4)], str)
    assert single.dots[0].x == (single.left + single.right) / 2


def test_money_on_a_chart_axis_has_two_decimals_and_no_label_twice(client, make, login_as):
    """Earnings of a cent or two: the axis steps by whole cents, so no two gridlines read $0.01."""
    partner, offer = make.partner(), make.offer()
    make.conversion(partner, offer, at=datetime(2026, 3, 9, 12, tzinfo=UTC), payout_cents=1)
    make.conversion(partner, offer, at=datetime(2026, 3, 10, 12, tzinfo=UTC), payout_cents=2)
    login_as.partner(make.partner_user(partner))
    page = client.get(f"/reports?{WINDOW}&column=date&metric=revenue").get_data(as_text=True)
    svg = re.search(r'<svg id="report-chart-revenue".*?</svg>', page, re.S).group(0)
    labels = re.findall(r'<text class="chart-label"[^>]*text-anchor="end">([^<]*)</text>', svg)
    assert labels and len(labels) == len(set(labels))
    assert all(re.fullmatch(r"\$\d+\.\d\d", label) for label in labels), labels
    epc = re.search(r'<svg id="report-chart-rpc".*?</svg>', page, re.S).group(0)
    assert all(re.fullmatch(r"\$\d+\.\d{4}", label)
               for label in re.findall(r'text-anchor="end">([^<]*)</text>', epc))
