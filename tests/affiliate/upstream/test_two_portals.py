"""Two real portals: one serves /v1/networks on its own data (a gunicorn process on its own SQLite file), the
other runs in upstream mode against it (the test app, on the suite's database).

The partner's report, conversion search and export through the proxy give the same figures as the
upstream's own Affiliate API gives the same affiliate; another affiliate's conversion, click and postback
ids are 404 through the proxy; the upstream stopped is a 503 with Retry-After on the API and the pages.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from portal.extensions import db as _db
from portal.models import Advertiser
from portal.services.everflow_keys import issue_key as issue_network_key
from portal.services.keys import issue_key
from portal.services.postbacks import create_postback
from tests.affiliate.upstream.live import LiveUpstream, running_upstream, upstream_fixtures

DAY = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
BODY = {"from": "2026-11-01", "to": "2026-11-30", "timezone_id": 67}


class Upstream(LiveUpstream):
    """The running upstream portal; what its seeding returned reads as attributes (network_key, ann_key: Ann's
    own Affiliate API key there, for the parity; ann_id, bob_conversion, bob_click, bob_pixel, ann_conversion)."""

    def __getattr__(self, name: str):
        try:
            return self.__dict__["seeded"][name]
        except KeyError:
            raise AttributeError(name) from None


def _seed(make, db) -> dict:
    """The upstream's own data: two affiliates on two offers, with the network's revenue on conversions."""
    acme = Advertiser(name="Acme Corp")
    db.session.add(acme)
    db.session.commit()
    shoes = make.offer(name="Acme Shoes", advertiser_id=acme.id, network_revenue_amount=2000)
    tea = make.offer(name="Zen Tea", network_revenue_amount=900)
    ann, bob = make.partner(name="Ann Media"), make.partner(name="Bob Deals")
    for n in range(6):
        make.click(ann, shoes, at=DAY + timedelta(minutes=n), sub1="email")
    for n in range(3):
        make.click(ann, tea, at=DAY + timedelta(days=1, minutes=n), sub1="push", is_unique=n < 2)
    bob_click = make.click(bob, tea, at=DAY)
    conversions = [make.conversion(ann, shoes, at=DAY + timedelta(minutes=n), payout_cents=1250 + n,
                                   network_revenue_cents=2000 + n, sub1="=cmd|' /C calc'!A0" if n == 0 else "email")
                   for n in range(7)]
    make.conversion(ann, tea, at=DAY + timedelta(days=1), payout_cents=333, network_revenue_cents=900,
                    sub1="push", status="pending")
    make.conversion(ann, tea, at=DAY + timedelta(days=1), payout_cents=999, network_revenue_cents=900,
                    status="rejected")
    make.conversion(ann, tea, at=DAY + timedelta(days=2), payout_cents=120, network_revenue_cents=400,
                    event_name="upsell")
    bob_conversion = make.conversion(bob, shoes, at=DAY, payout_cents=7777, network_revenue_cents=9999)
    bob_pixel = create_postback(bob.id, {"delivery_method": "postback", "offer_id": None,
                                         "postback_type": "conversion", "event_name": None, "status": "active",
                                         "url": "https://bob.example/pb?t={transaction_id}", "html_code": None,
                                         "delay_ms": 0, "description": "", "send_status_updates": False},
                                100, None)
    seeded = {"network_key": issue_network_key("Upstream mode").secret,
              "ann_key": issue_key(ann, "Parity", acknowledged_risk=True).secret, "ann_id": ann.id,
              "bob_conversion": bob_conversion.conversion_id, "bob_click": bob_click.transaction_id,
              "bob_pixel": bob_pixel, "ann_conversion": conversions[1].conversion_id}
    return seeded


@contextmanager
def _upstream(directory: Path) -> Iterator[Upstream]:
    with running_upstream(directory, _seed) as live:
        yield Upstream(url=live.url, process=live.process, seeded=live.seeded)


module_upstream, upstream = upstream_fixtures(_upstream)


@pytest.fixture
def app(make_app, upstream):
    app = make_app(UPSTREAM_URL=upstream.url, UPSTREAM_API_KEY=upstream.network_key, UPSTREAM_TIMEOUT=5,
                   API_RATE_PER_SECOND=100_000, API_RATE_BURST=100_000, API_PARTNER_SHARE=1)
    with app.app_context():
        yield app
        _db.session.remove()


@pytest.fixture
def ann(make, db, issue, upstream):
    """Ann's partner account on the proxy, linked to her affiliate id upstream, and her key to the proxy."""
    partner = make.partner(name="Ann Media (proxy)")
    partner.upstream_affiliate_id = upstream.ann_id
    db.session.commit()
    return partner, issue(partner)


def proxy(client, method, path, key, body=None):
    return client.open(path, method=method, json=body, headers={"X-Eflow-API-Key": key})


@pytest.mark.parametrize("columns", [["offer"], ["date"], ["sub1", "offer"], ["offer", "month"]])
def test_the_report_through_the_proxy_is_the_upstreams_own(client, upstream, ann, columns):
    _, key = ann
    body = dict(BODY, currency_id="USD", columns=[{"column": c} for c in columns], query={"filters": []})
    through = proxy(client, "POST", "/v1/affiliates/reporting/entity/table", key, body)
    status, direct, _ = upstream.call("POST", "/v1/affiliates/reporting/entity/table", upstream.ann_key, body)
    assert through.status_code == status == 200, through.json
    assert through.json["summary"] == direct["summary"]
    assert through.json["table"] == direct["table"]
    assert through.json["summary"]["revenue"] == pytest.approx(sum(1250 + n for n in range(7)) / 100 + 3.33 + 1.2)


def test_the_conversion_search_through_the_proxy_is_the_upstreams_own(client, upstream, ann):
    _, key = ann
    for query in ("", "?page=2&page_size=3", "?order_field=revenue&order_direction=asc"):
        body = dict(BODY, query={"filters": [], "search_terms": []})
        through = proxy(client, "POST", "/v1/affiliates/reporting/conversions" + query, key, body)
        status, direct, _ = upstream.call("POST", "/v1/affiliates/reporting/conversions" + query, upstream.ann_key,
                                          body)
        assert through.status_code == status == 200, through.json
        assert through.json["paging"] == direct["paging"] and direct["paging"]["total_count"] == 10
        assert through.json["conversions"] == direct["conversions"], query
    one = proxy(client, "GET", f"/v1/affiliates/reporting/conversions/{upstream.ann_conversion}", key)
    status, direct, _ = upstream.call("GET", f"/v1/affiliates/reporting/conversions/{upstream.ann_conversion}",
                                      upstream.ann_key)
    assert one.status_code == status == 200 and one.json == direct


def test_the_export_through_the_proxy_holds_the_upstreams_rows(client, upstream, ann):
    _, key = ann
    body = dict(BODY, format="csv")
    through = proxy(client, "POST", "/v1/affiliates/reporting/conversions/export", key, body)
    status, direct, _ = upstream.call("POST", "/v1/affiliates/reporting/conversions/export", upstream.ann_key, body)
    assert through.status_code == status == 200
    mine = pd.read_csv(io.BytesIO(through.data), keep_default_na=False)
    theirs = pd.read_csv(io.BytesIO(direct), keep_default_na=False)
    assert len(mine) == len(theirs) == 10
    key_columns = ["conversion_id", "status", "revenue", "sub1", "offer_name", "event_name"]
    common = [c for c in key_columns if c in mine.columns]
    assert mine.sort_values("conversion_id")[common].reset_index(drop=True).equals(
        theirs.sort_values("conversion_id")[common].reset_index(drop=True))
    assert "'=cmd|' /C calc'!A0" in set(mine["sub1"])  # formula-safe through the proxy too
    assert b"9999" not in through.data and b"99.99" not in through.data  # no network revenue


def test_another_affiliates_objects_are_not_found_through_the_proxy(client, upstream, ann):
    _, key = ann
    for method, path in (("GET", f"/v1/affiliates/reporting/conversions/{upstream.bob_conversion}"),
                         ("GET", f"/v1/affiliates/reporting/clicks/{upstream.bob_click}"),
                         ("GET", f"/v1/affiliates/pixels/{upstream.bob_pixel}"),
                         ("DELETE", f"/v1/affiliates/pixels/{upstream.bob_pixel}")):
        response = proxy(client, method, path, key)
        assert response.status_code == 404 and response.json == {"error": "Not found"}, path
    status, still, _ = upstream.call("GET", f"/v1/networks/pixels/{upstream.bob_pixel}", upstream.network_key)
    assert status == 200 and still["network_pixel_id"] == upstream.bob_pixel  # never deleted


@pytest.mark.parametrize("upstream", ["own"], indirect=True)
def test_the_upstream_stopped_is_a_503_with_retry_after(client, upstream, ann, make, login_as):
    partner, key = ann
    login_as.partner(make.partner_user(partner))
    assert client.get("/conversions").status_code == 200
    upstream.process.terminate()
    upstream.process.wait(timeout=15)
    api = proxy(client, "POST", "/v1/affiliates/reporting/conversions", key, BODY)
    assert api.status_code == 503 and int(api.headers["Retry-After"]) >= 1 and set(api.json) == {"error"}
    page = client.get("/reports")
    assert page.status_code == 503 and int(page.headers["Retry-After"]) >= 1
    assert "not answering" in page.get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize(("filters", "rows"), [([], 10), ([{"resource_type": "status", "filter_id_value": "approved"}], 8),
                                              ([{"resource_type": "sub1", "filter_id_value": "push"}], 1)])
@pytest.mark.parametrize("wire", ["application/vnd.apache.arrow.stream", "application/json"])
def test_the_export_is_one_streamed_upstream_export_with_the_upstreams_own_file(client, upstream, ann, monkeypatch,
                                                                                 fmt, filters, rows, wire):
    """Arrow when the upstream speaks it (this portal), JSON when it answers JSON whatever the Accept header
    says (Everflow; here the proxy asks for JSON only): the same file either way."""
    from portal.affiliate.upstream import export
    from portal.affiliate.upstream.backend import UpstreamBackend
    from portal.affiliate.upstream.client import UpstreamClient

    calls, answered = [], []
    real_stream, real_page = UpstreamClient.stream, UpstreamBackend._conversion_page

    def stream(self, *a, **k):
        calls.append(a[1])
        response = real_stream(self, *a, **k)
        answered.append(response.headers["Content-Type"])
        return response

    if wire == "application/json":
        monkeypatch.setattr(export, "ACCEPT", "application/json")
    monkeypatch.setattr(UpstreamClient, "stream", stream)
    monkeypatch.setattr(UpstreamBackend, "_conversion_page",
                        lambda self, *a, **k: calls.append("page") or real_page(self, *a, **k))
    _, key = ann
    body = dict(BODY, format=fmt, query={"filters": filters})
    through = proxy(client, "POST", "/v1/affiliates/reporting/conversions/export", key, body)
    status, direct, _ = upstream.call("POST", "/v1/affiliates/reporting/conversions/export", upstream.ann_key, body)
    assert through.status_code == status == 200, through.data[:300]
    assert calls == ["/v1/networks/reporting/conversions/export"]  # one request; its count came with it
    assert answered == [wire]
    if fmt == "json":
        mine, theirs = through.json, direct
    else:
        mine = pd.read_csv(io.BytesIO(through.data), keep_default_na=False).to_dict("records")
        theirs = pd.read_csv(io.BytesIO(direct), keep_default_na=False).to_dict("records")
    assert mine == theirs and len(mine) == rows
