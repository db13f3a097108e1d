"""Upstream answers that must never pass or break a page: foreign report rows, 404 lists, odd values, any timezone.

Also the client's limits (a trickling answer, a huge body, a create never sent twice), the audit of pixel
changes and ids that must never reach the upstream as paths. A real listener plays the upstream.
"""

from __future__ import annotations

import socket
import threading
import time
import zoneinfo
from datetime import date

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.affiliate.upstream import bodies, mapping
from portal.affiliate.upstream.backend import UpstreamBackend
from portal.affiliate.upstream.client import ReferenceCache, Settings, UpstreamClient, read_body
from portal.domain.errors import UpstreamRefused, UpstreamUnavailable
from tests.affiliate.upstream.scripted import Answer

AFFILIATE, OTHER = 7, 8
BODY = {"from": "2026-11-01", "to": "2026-11-30", "timezone_id": 67}
REPORT = dict(BODY, currency_id="USD", columns=[{"column": "offer"}], query={"filters": []})
PIXEL = {"network_pixel_id": 11, "network_affiliate_id": AFFILIATE, "network_offer_id": 0, "pixel_level": "global",
         "delivery_method": "postback", "pixel_type": "conversion", "pixel_status": "active",
         "postback_url": "https://me.example/?t={transaction_id}"}
NEW_PIXEL = {"delivery_method": "postback", "pixel_level": "global", "pixel_status": "active",
             "pixel_type": "conversion", "postback_url": "https://me.example/?t={transaction_id}"}




@pytest.fixture
def app(upstream_app):
    return upstream_app


def call(client, method, path, key, body=None):
    return client.open(path, method=method, json=body, headers={"X-Eflow-API-Key": key})


def row(affiliate, offer="3", clicks=10, payout=25.0, **extra) -> dict:
    columns = [{"column_type": "offer", "id": offer, "label": "Shoes"}, *extra.pop("columns", [])]
    if affiliate is not None:
        columns.append({"column_type": "affiliate", "id": str(affiliate), "label": "Partner"})
    return {"columns": columns, "reporting": {"total_click": clicks, "payout": payout, "revenue": 99.0}}


def make_client(url: str, *, timeout: float = 3.0, retries: int = 2) -> UpstreamClient:
    return UpstreamClient(Settings(url, "k", timeout, retries, 1000), None, cache=ReferenceCache())


# --- 1. report rows and dashboard figures are checked for ownership -------------------------------------

@pytest.mark.parametrize("rows", [[row(OTHER)], [row(AFFILIATE), row(OTHER)], [row(None)], [row("\u00b2")]])
def test_a_report_row_of_another_affiliate_or_of_none_fails_the_whole_report(client, upstream, linked, rows):
    _, key = linked
    upstream.script(Answer(200, {"table": rows}))
    answer = call(client, "POST", "/v1/affiliates/reporting/entity/table", key, REPORT)
    assert answer.status_code == 502, answer.json
    assert "another affiliate" in answer.json["error"] and "5000" not in answer.get_data(as_text=True)


def test_the_partners_own_rows_come_back_with_exactly_the_columns_asked_for(client, upstream, linked):
    _, key = linked
    upstream.script(Answer(200, {"table": [row(AFFILIATE), row(AFFILIATE, offer="4", clicks=3)]}))
    answer = call(client, "POST", "/v1/affiliates/reporting/entity/table", key, REPORT)
    assert answer.status_code == 200, answer.json
    assert [[c["column_type"] for c in r["columns"]] for r in answer.json["table"]] == [["offer"], ["offer"]]
    assert upstream.seen[-1].body["columns"] == [{"column": "offer"}, {"column": "affiliate"}]


@pytest.mark.parametrize("rows", [[row(OTHER, clicks=999)], [row(None, clicks=999)]])
def test_dashboard_figures_of_another_affiliate_are_refused(client, upstream, linked, rows):
    _, key = linked
    upstream.script(Answer(200, {"table": rows}))
    answer = call(client, "POST", "/v1/affiliates/dashboard/summary", key, {})
    assert answer.status_code == 502 and "999" not in answer.get_data(as_text=True)
    assert {"column": "affiliate"} in upstream.seen[-1].body["columns"]


# --- 2. a 404 on a list is not an empty list; the URL is the API's base -----------------------------------

@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/v1/affiliates/reporting/entity/table", dict(BODY, columns=[{"column": "date"}])),
    ("POST", "/v1/affiliates/reporting/conversions", BODY),
    ("POST", "/v1/affiliates/dashboard/summary", {}),
    ("GET", "/v1/affiliates/pixels", None),
    ("GET", "/v1/affiliates/alloffers", None),
])
def test_a_404_on_a_list_is_a_502_not_an_empty_answer(client, upstream, linked, method, path, body):
    _, key = linked
    upstream.script(Answer(404, {"error": "no such path"}))
    answer = call(client, method, path, key, body)
    assert answer.status_code == 502, (path, answer.status_code)
    assert "PORTAL_UPSTREAM_URL" in answer.json["error"]


def test_a_404_is_none_for_a_get_by_id_and_refused_for_a_post(upstream):
    upstream.script(Answer(404, {"error": "nothing"}))
    assert make_client(upstream.url).get("/v1/networks/reporting/conversions/c1") is None
    with pytest.raises(UpstreamRefused):
        make_client(upstream.url).post("/v1/networks/reporting/conversions", {})


# --- 3. every timezone works ------------------------------------------------------------------------------

def test_zones_outside_the_table_are_sent_as_a_zone_with_the_same_clock_or_in_utc():
    november = (date(2026, 11, 1), date(2026, 11, 30))
    assert bodies.equivalent("Europe/Berlin", *november) == 56
    assert bodies.equivalent("Asia/Kathmandu", *november) == 29  # +05:45, in Everflow's table
    assert bodies.equivalent("Africa/Abidjan", *november) == 67  # always UTC+0: UTC itself
    assert bodies.equivalent("Europe/Vienna", *november) is not None  # Central European rules
    assert bodies.equivalent("Australia/Eucla", *november) is None  # +08:45: no zone of the table
    assert bodies.days(*november, "Australia/Eucla") == {"from": "2026-10-31", "to": "2026-12-01", "timezone_id": 67}


@settings(deadline=None, max_examples=60)
@given(st.sampled_from(sorted(zoneinfo.available_timezones())), st.dates(date(2000, 1, 2), date(2090, 1, 1)),
       st.integers(0, 400))
def test_every_zone_gets_a_body(zone, first, length):
    last = date.fromordinal(min(first.toordinal() + length, date(2090, 1, 1).toordinal()))
    found = bodies.days(first, last, zone)
    assert isinstance(found["timezone_id"], int)


@pytest.mark.parametrize("zone", ["Africa/Abidjan", "Asia/Kathmandu", "Pacific/Chatham", "Australia/Eucla"])
def test_a_partner_in_any_zone_sees_the_dashboard_and_pages(client, upstream, make, db, issue, login_as, zone):
    partner = make.partner()
    partner.upstream_affiliate_id, partner.timezone = AFFILIATE, zone
    db.session.commit()
    key = issue(partner)
    upstream.script(Answer(200, {"table": [], "conversions": [], "paging": {"total_count": 0}}))
    assert call(client, "POST", "/v1/affiliates/dashboard/summary", key, {}).status_code == 200
    report = call(client, "POST", "/v1/affiliates/reporting/entity/table", key, {k: v for k, v in REPORT.items() if k != "timezone_id"})
    assert report.status_code == 200, report.json
    login_as.partner(make.partner_user(partner))
    for page in ("/", "/reports", "/conversions"):
        assert client.get(page).status_code == 200, page


def test_an_unmatched_zone_is_asked_hourly_in_utc_and_regrouped_into_local_days(client, upstream, make, db, issue):
    partner = make.partner()
    partner.upstream_affiliate_id, partner.timezone = AFFILIATE, "Australia/Eucla"  # UTC+08:45, no daylight saving
    db.session.commit()
    key = issue(partner)

    def hourly(label, clicks):
        return row(AFFILIATE, clicks=clicks, payout=1.0,
                   columns=[{"column_type": "hour", "id": label, "label": label}])

    # An hour counts on the local day where it starts: 2026-10-31 15:00 UTC is 23:45 on the 31st in Eucla
    # (outside), 16:00 UTC is 00:45 on the 1st, 2026-11-01 04:00 UTC is 12:45 on the 1st, 2026-11-03 11:00 UTC
    # is 19:45 on the 3rd.
    upstream.script(Answer(200, {"table": [hourly("2026-10-31 15:00", 1), hourly("2026-10-31 16:00", 2),
                                           hourly("2026-11-01 04:00", 4), hourly("2026-11-03 11:00", 8)]}))
    body = {"from": "2026-11-01", "to": "2026-11-03", "currency_id": "USD",  # in the partner's zone
            "columns": [{"column": "date"}], "query": {"filters": []}}
    answer = call(client, "POST", "/v1/affiliates/reporting/entity/table", key, body)
    assert answer.status_code == 200, answer.json
    sent = upstream.seen[-1].body
    assert (sent["timezone_id"], sent["from"], sent["to"]) == (67, "2026-10-31", "2026-11-04")
    assert {"column": "hour"} in sent["columns"] and {"column": "affiliate"} in sent["columns"]
    days = {r["columns"][0]["label"]: r["reporting"]["total_click"] for r in answer.json["table"]}
    assert days == {"2026-11-01": 6, "2026-11-03": 8}
    assert answer.json["summary"]["total_click"] == 14


# --- 4. odd values are a 502, never a 500 ---------------------------------------------------------------

def test_mapping_helpers_are_total():
    assert mapping.affiliate_of({"network_affiliate_id": "\u00b2"}) is None
    assert mapping.affiliate_of({"network_affiliate_id": "1" * 5000}) is None
    assert mapping._int("1" * 5000) == 0 and mapping._int("\u00b2") == 0 and mapping._int(10 ** 5000) == 0
    assert mapping.instant("9" * 5000) is None and mapping.instant("1e999999999") is None
    for huge in ("1e999999999", 1e300, 10 ** 40, "-1e20"):
        with pytest.raises(ValueError):
            mapping.cents(huge)
    assert mapping.cents("9" * 5000) == 0  # longer than any amount: unreadable, like "abc"
    mapping.cell({"column_type": "offer", "id": "1" * 5000}, "UTC")
    mapping.cell({"column_type": "date", "id": "9" * 30}, "UTC")


def conversion(affiliate, **values) -> dict:
    return {"conversion_id": "c1", "network_affiliate_id": affiliate, "network_offer_id": 3,
            "conversion_unix_timestamp": 1794182400, "status": "approved", "payout": 1.0, **values}


@pytest.mark.parametrize(("answer", "method", "path", "body"), [
    ({"conversions": [conversion(AFFILIATE, payout="1e999999999")], "paging": {"total_count": 1}}, "POST",
     "/v1/affiliates/reporting/conversions", BODY),
    ({"conversions": [conversion(AFFILIATE, payout=1e300)], "paging": {"total_count": 1}}, "POST",
     "/v1/affiliates/reporting/conversions", BODY),
    ({"conversions": [conversion("\u00b2")], "paging": {"total_count": 1}}, "POST",
     "/v1/affiliates/reporting/conversions", BODY),
    ({"conversions": [conversion("1" * 5000)], "paging": {"total_count": 1}}, "POST",
     "/v1/affiliates/reporting/conversions", BODY),
    ({"table": 5}, "POST", "/v1/affiliates/dashboard/summary", {}),
    ({"table": [5]}, "POST", "/v1/affiliates/reporting/entity/table", REPORT),
    ({"table": [row(AFFILIATE, payout="1e5000")]}, "POST", "/v1/affiliates/reporting/entity/table", REPORT),
    ({"offers": [{"network_offer_id": 3, "name": "x", "relationship": {"payout_revenue": 5}}]}, "GET",
     "/v1/affiliates/alloffers", None),
])
def test_odd_upstream_values_are_a_502(client, upstream, linked, answer, method, path, body):
    _, key = linked
    upstream.script(Answer(200, answer))
    found = call(client, method, path, key, body)
    assert found.status_code == 502, (found.status_code, found.get_data(as_text=True)[:200])


def test_an_offer_without_a_usable_id_is_left_out_of_the_list(client, upstream, linked):
    _, key = linked
    upstream.script(Answer(200, {"offers": [{"network_offer_id": "abc", "name": "x", "visibility": "public"}]}))
    found = call(client, "GET", "/v1/affiliates/alloffers", key, None)
    assert found.status_code == 200 and found.json["offers"] == [], found.get_data(as_text=True)[:200]


# --- 5. the deadline holds while an answer trickles in; the body has a ceiling -------------------------

def test_a_trickling_answer_is_cut_off_at_the_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def trickle():
        conn, _ = listener.accept()
        conn.recv(65536)
        body = b'{"conversions": [], "paging": {"total_count": 0}}' + b" " * 40
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        try:
            for byte in body:
                conn.sendall(bytes([byte]))
                time.sleep(0.05)
        except OSError:
            pass
        conn.close()

    threading.Thread(target=trickle, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable):
        make_client(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=1.0, retries=0).post(
            "/v1/networks/reporting/conversions", {})
    assert time.monotonic() - started < 1.6
    listener.close()


def test_a_body_that_stalls_after_late_headers_ends_at_the_deadline():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def stall():
        conn, _ = listener.accept()
        conn.recv(65536)
        time.sleep(0.8)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        time.sleep(3)
        conn.close()

    threading.Thread(target=stall, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable):
        make_client(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=1.0, retries=0).get("/v1/networks/x")
    assert time.monotonic() - started < 1.5
    listener.close()


def test_a_body_beyond_the_ceiling_is_refused(upstream):
    upstream.script(Answer(200, {"offers": ["x" * 100] * 10}))
    response = requests.get(upstream.url + "/v1/networks/offers/1", stream=True, timeout=3)
    with pytest.raises(UpstreamRefused, match="too large"):
        read_body(response, time.monotonic() + 3, limit=500)


# --- 6. a create is never sent twice unless the upstream cannot have made it -----------------------------

@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_pixel_create_is_not_repeated_after_a_server_error(client, upstream, linked, status):
    _, key = linked
    upstream.route("POST", "/v1/networks/pixelstable", Answer(200, {"pixels": []}))
    upstream.script(Answer(status, {}), Answer(200, PIXEL))
    answer = call(client, "POST", "/v1/affiliates/pixels", key, NEW_PIXEL)
    assert answer.status_code == 503
    assert len([s for s in upstream.seen if s.method == "POST" and s.path == "/v1/networks/pixels"]) == 1


def test_a_pixel_create_is_repeated_after_a_429_and_reads_after_a_5xx(client, upstream, linked):
    _, key = linked
    upstream.route("POST", "/v1/networks/pixelstable", Answer(200, {"pixels": []}))
    upstream.route("GET", "/v1/networks/pixels/11", Answer(200, PIXEL))
    upstream.script(Answer(429, {}, headers={"Retry-After": "0"}), Answer(200, PIXEL))
    assert call(client, "POST", "/v1/affiliates/pixels", key, NEW_PIXEL).status_code == 201
    assert len([s for s in upstream.seen if s.method == "POST" and s.path == "/v1/networks/pixels"]) == 2
    upstream.script(Answer(504, {}), Answer(200, {"conversions": [], "paging": {"total_count": 0}}))
    assert call(client, "POST", "/v1/affiliates/reporting/conversions", key, BODY).status_code == 200
    assert len(upstream.seen) == 2


def test_a_create_is_repeated_when_the_connection_never_opened():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    seen = []
    client = UpstreamClient(Settings(f"http://127.0.0.1:{port}", "k", 2.0, 2, 1000), None,
                            sleep=lambda pause: seen.append(pause), cache=ReferenceCache())
    with pytest.raises(UpstreamUnavailable):
        client.create("/v1/networks/pixels", {})
    assert len(seen) == 2  # tried three times: nothing could have been created


# --- 7. pixel changes are audited locally ---------------------------------------------------------------

def test_pixel_changes_confirmed_upstream_are_audited(client, upstream, linked, db):
    from portal.models import AuditEvent

    partner, key = linked
    upstream.route("POST", "/v1/networks/pixelstable", Answer(200, {"pixels": []}))
    upstream.route("GET", "/v1/networks/pixels/11", Answer(200, PIXEL))
    upstream.script(Answer(200, PIXEL))
    assert call(client, "POST", "/v1/affiliates/pixels", key, NEW_PIXEL).status_code == 201
    changed = dict(NEW_PIXEL, pixel_status="inactive", postback_url="https://new.example/?t={transaction_id}")
    updated = call(client, "PUT", "/v1/affiliates/pixels/11", key, changed)
    assert updated.status_code == 200, updated.json
    assert call(client, "DELETE", "/v1/affiliates/pixels/11", key).status_code in (200, 204)
    events = db.session.query(AuditEvent).filter(AuditEvent.action.like("postback.%")).order_by(AuditEvent.id).all()
    assert [e.action for e in events] == ["postback.created", "postback.updated", "postback.deleted"]
    assert all(e.target_type == "Postback" and e.target_id == "11" and e.actor_type == "api" for e in events)
    assert events[0].detail["partner_id"] == partner.id and events[0].detail["destination"] == "me.example"
    assert events[1].detail["status"]["from"] == "active" and events[1].detail["status"]["to"] != "active"
    assert events[1].detail["destination"] == {"from": "me.example", "to": "new.example"}
    assert "api_key_id" in events[2].detail


def test_a_change_the_upstream_refused_is_not_audited(client, upstream, linked, db):
    from portal.models import AuditEvent

    _, key = linked
    upstream.route("POST", "/v1/networks/pixelstable", Answer(200, {"pixels": []}))
    upstream.script(Answer(400, {"error": "bad pixel"}))
    assert call(client, "POST", "/v1/affiliates/pixels", key, NEW_PIXEL).status_code == 502
    assert db.session.query(AuditEvent).filter(AuditEvent.action.like("postback.%")).count() == 0


# --- 8. a report the upstream cut short shows the upstream's own summary ---------------------------------

def test_an_incomplete_report_shows_the_upstreams_summary(client, upstream, linked):
    _, key = linked
    upstream.script(Answer(200, {"table": [row(AFFILIATE, clicks=10, payout=25.0)], "incomplete_results": True,
                                 "summary": {"total_click": 5000, "payout": 1234.5, "revenue": 9999.0}}))
    answer = call(client, "POST", "/v1/affiliates/reporting/entity/table", key, REPORT)
    assert answer.status_code == 200, answer.json
    assert answer.json["incomplete_results"] is True
    assert answer.json["summary"]["total_click"] == 5000 and answer.json["summary"]["revenue"] == 1234.5
    assert "9999" not in answer.get_data(as_text=True)


# --- 9. ids that could be read as paths never reach the upstream ---------------------------------------

@pytest.mark.parametrize("ident", [".", "..", "a/b", "%2e%2e", "", "x" * 200, "\ud800", "-a"])
def test_an_unsafe_id_is_not_found_without_asking(upstream, ident):
    backend = UpstreamBackend(make_client(upstream.url), AFFILIATE)
    upstream.script(Answer(200, conversion(AFFILIATE)))
    assert backend.conversion(1, ident) is None and backend.click(1, ident) is None
    assert upstream.seen == []


def test_the_dot_dot_id_is_a_404_on_the_api_without_asking(client, upstream, linked):
    _, key = linked
    upstream.script(Answer(200, conversion(AFFILIATE)))
    for path in ("/v1/affiliates/reporting/conversions/..", "/v1/affiliates/reporting/clicks/%2E%2E"):
        assert call(client, "GET", path, key).status_code == 404
    assert upstream.seen == []
