""""Try it out" in the API reference starts with a body that returns data: every reporting request's example is
the last 7 days with no filters, valid against its own schema, and the running API answers it with rows."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta

import jsonschema
import pandas as pd
import pytest

from portal.api.affiliate import openapi
from portal.api.affiliate.operations import JSON

DOC = "/v1/affiliates/openapi.json"
# Each reporting POST, and where its answer holds the rows the example should bring back.
ROWS = {
    "/v1/affiliates/reporting/entity/table": lambda r: r.json["table"],
    "/v1/affiliates/reporting/entity/table/export": lambda r: pd.read_csv(io.StringIO(r.get_data(as_text=True))),
    "/v1/affiliates/reporting/conversions": lambda r: r.json["conversions"],
    "/v1/affiliates/reporting/conversions/export": lambda r: pd.read_csv(io.StringIO(r.get_data(as_text=True))),
    "/v1/affiliates/reporting/onhold": lambda r: r.json["conversions"],
    "/v1/affiliates/reporting/clicks/stream": lambda r: r.json["clicks"],
    "/v1/affiliates/dashboard/summary": lambda r: [period for period, count in r.json["conversion"].items()
                                                   if period != "trending_percentage" and count],
}


@pytest.fixture
def app(unbudgeted_app):
    return unbudgeted_app


def _examples(document) -> dict[str, dict]:
    bodies = {path: item["post"]["requestBody"]["content"][JSON]
              for path, item in document["paths"].items() if "requestBody" in item.get("post", {})}
    return {path: content["example"] for path, content in bodies.items() if "example" in content}


def test_every_reporting_example_is_the_last_7_days_with_no_filters():
    today = date(2026, 12, 7)
    examples = _examples(openapi.build("https://api.test", today=today))
    assert set(examples) == set(ROWS)
    for path, body in examples.items():
        if path.endswith("/dashboard/summary"):
            assert body == {}  # the summary covers today, yesterday, 7 days and the month by itself
            continue
        assert (body["from"], body["to"]) == ("2026-12-01", "2026-12-07"), path
        assert "query" not in body and "filters" not in body, path


def test_each_example_is_valid_against_its_own_schema():
    document = openapi.build("https://api.test", today=date(2026, 12, 7))
    checked = 0
    for item in document["paths"].values():
        content = item.get("post", {}).get("requestBody", {}).get("content", {}).get(JSON)
        if content and "example" in content:
            schema = {**content["schema"], "components": document["components"]}
            jsonschema.validate(content["example"], schema, cls=jsonschema.Draft202012Validator)
            checked += 1
    assert checked == len(ROWS)


def test_the_served_document_uses_today(client):
    today = datetime.now(UTC).date()
    example = _examples(client.get(DOC).json)["/v1/affiliates/reporting/conversions"]
    assert example["to"] in {today.isoformat(), (today - timedelta(days=1)).isoformat()}  # a midnight in between
    assert date.fromisoformat(example["to"]) - date.fromisoformat(example["from"]) == timedelta(days=6)


def test_each_example_as_sent_by_try_it_out_returns_data(client, make, issue):
    partner = make.partner()
    offer = make.offer(name="Acme Shoes")
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    make.click(partner, offer, at=two_days_ago)
    make.conversion(partner, offer, at=two_days_ago)
    make.conversion(partner, offer, at=two_days_ago, status="on_hold", hold_until=two_days_ago + timedelta(days=30))
    key = issue(partner)
    for path, body in _examples(client.get(DOC).json).items():
        response = client.post(path, json=body, headers={"X-Eflow-API-Key": key})
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        assert len(ROWS[path](response)) >= 1, f"{path}: the example returned no data"


@pytest.mark.browser
def test_try_it_out_in_the_reference_starts_with_the_last_7_days(page, live_server):
    today = datetime.now(UTC).date()
    page.goto(f"{live_server.url}/docs/api")
    summary = page.locator(".opblock-summary-path[data-path='/v1/affiliates/reporting/conversions']")
    summary.click()
    block = page.locator(".opblock", has=summary)
    block.locator("button.try-out__btn").click()
    body = json.loads(block.locator("textarea.body-param__text").input_value())
    assert body["to"] in {today.isoformat(), (today - timedelta(days=1)).isoformat()}
    assert date.fromisoformat(body["to"]) - date.fromisoformat(body["from"]) == timedelta(days=6)
    assert "query" not in body
