"""Values no database can hold get a 400 naming the field, never a 500: offer ids from 2**31 (as numbers
or strings, up to 2**63 and past it) and text with lone surrogates or NUL characters, on every route of the
Affiliate API that takes them (the portal pages: tests/web/partner/test_bad_input.py)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from portal.models import Postback

RANGE = {"from": "2026-11-01", "to": "2026-11-07"}
HUGE_IDS = [2**31, 2**63 - 1, 2**63, 2**64, 10**30]
REPORTING = [
    ("/v1/affiliates/reporting/entity/table", {"columns": [{"column": "offer"}]}),
    ("/v1/affiliates/reporting/conversions", {}),
    ("/v1/affiliates/reporting/conversions/export", {"format": "csv"}),
    ("/v1/affiliates/reporting/onhold", {}),
    ("/v1/affiliates/reporting/clicks/stream", {}),
]


@pytest.fixture
def key(make, issue):
    partner = make.partner()
    offer = make.offer()
    make.conversion(partner, offer)
    return issue(partner)


def _post(client, key: str, path: str, raw_json: str, method: str = "POST"):
    """The body as written: json.dumps would turn a lone surrogate into its escape anyway, but spelling it
    out keeps the test about what arrives on the wire."""
    return client.open(path, method=method, data=raw_json, content_type="application/json",
                       headers={"X-Eflow-API-Key": key})


@pytest.mark.parametrize(("path", "extra"), REPORTING)
@pytest.mark.parametrize("offer_id", [*HUGE_IDS, *(str(n) for n in HUGE_IDS)])
def test_an_offer_id_past_the_databases_range_is_a_400(client, key, path, extra, offer_id):
    body = {**RANGE, **extra, "query": {"filters": [{"resource_type": "offer", "filter_id_value": offer_id}]}}
    response = _post(client, key, path, json.dumps(body))
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "offer id" in response.json["error"]


@pytest.mark.parametrize(("path", "extra"), [r for r in REPORTING if "entity" not in r[0]])
@pytest.mark.parametrize("value", ["\\ud800", "a\\udfffb", "x\\u0000y"])
def test_text_filters_and_search_terms_that_cannot_be_stored_are_400s(client, key, path, extra, value):
    filters = {**RANGE, **extra, "query": {"filters": [{"resource_type": "sub1", "filter_id_value": "@"}]}}
    raw = json.dumps(filters).replace('"@"', f'"{value}"')
    response = _post(client, key, path, raw)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.json["error"].startswith("query.filters")
    if "conversions" in path and "export" not in path:
        terms = {**RANGE, "query": {"search_terms": [{"search_type": "sub1", "value": "@"}]}}
        response = _post(client, key, path, json.dumps(terms).replace('"@"', f'"{value}"'))
        assert response.status_code == 400 and response.json["error"].startswith("query.search_terms")


PIXEL = {"pixel_level": "global", "pixel_type": "conversion", "delivery_method": "postback",
         "postback_url": "https://tracker.example/pb?tid={transaction_id}", "pixel_status": "active"}


@pytest.mark.parametrize(("field", "changes"), [
    ("postback_url", {"postback_url": "https://tracker.example/pb?x=@"}),
    ("description", {"description": "@"}),
    ("event_name", {"pixel_type": "event", "event_name": "@"}),
    ("html_code", {"delivery_method": "html", "postback_url": None, "html_code": "<img src=x>@"}),
])
@pytest.mark.parametrize("value", ["\\ud800", "\\udc00x"])
def test_pixel_text_that_cannot_be_stored_is_a_400_and_stores_nothing(client, key, db, field, changes, value):
    raw = json.dumps({**PIXEL, **changes}).replace("@", value)
    created = _post(client, key, "/v1/affiliates/pixels", raw)
    assert created.status_code == 400, created.get_data(as_text=True)[:300]
    assert created.json["error"].startswith(f"{field}:")
    assert db.session.scalar(select(func.count()).select_from(Postback)) == 0
    made = _post(client, key, "/v1/affiliates/pixels", json.dumps(PIXEL))
    assert made.status_code in (200, 201)
    pixel_id = made.json["network_pixel_id"]
    updated = _post(client, key, f"/v1/affiliates/pixels/{pixel_id}", raw, method="PUT")
    assert updated.status_code == 400 and updated.json["error"].startswith(f"{field}:")
