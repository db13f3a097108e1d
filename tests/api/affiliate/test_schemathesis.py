"""Fuzz the Affiliate API against its own OpenAPI document with schemathesis, every check on.

A partner with real traffic (clicks, conversions, an on-hold conversion, a postback, traffic controls, an
invoice) and a real issued key; the budget raised so that the fuzzer is never throttled. Every operation in the document gets
generated requests, valid and invalid; each response must be no 5xx, a documented status with a
documented body and headers, and a request without a key or with a wrong one must get a 401.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import schemathesis
from flask import current_app
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (allow_header_conformance, content_type_conformance,
                                               is_unexpected_http_status_case, positive_data_acceptance,
                                               response_schema_conformance, status_code_conformance)

from portal.api.affiliate import openapi
from portal.extensions import db as _db
from portal.services.payments import record_payment
from tests.hostile import SCHEMATHESIS_HOOKS
from tests.invoicing import generate_invoices_after
from tests.traffic_world import control

DOC = "/v1/affiliates/openapi.json"
BASE_URL = "http://localhost"
# Generated cases per operation, after the coverage phase's own deterministic cases (most of the run: ~2 minutes
# per database). FUZZ_EXAMPLES=200 runs a deeper, randomised search by hand.
DEEP = int(os.environ.get("FUZZ_EXAMPLES", "0"))
MAX_EXAMPLES = DEEP or 4
# Rules that span fields or items, or need the database, which a JSON Schema cannot state: a request that
# is valid by the document may still be refused for these, with a 400 naming the field and the rule.
# field → a piece of the rule's message, or several (None: any rule of that field).
SEMANTIC_RULES = {
    "from": None,  # criteria.parse_window: `from` after `to`, a date outside 2000–2100 or the calendar
    "to": None,  # … and a range longer than the endpoint allows
    "show_conversions": "show_events must be true",  # both false
    "columns": "is given twice",  # the same column in two objects that differ in ignored keys
    "postback_url": None,  # a URL's host, port and macros
    "network_offer_id": None,  # an offer the partner cannot run, or an id past the database's range
    "delivery": "only a failed delivery can be retried",  # retrying one that was delivered
    # A filter value a pattern cannot bound: an offer id past the database's ids, text with NUL or a lone
    # surrogate, a value that is only whitespace to Python, a number past 500 digits or a float past 2**53.
    "query.filters": ("is the offer id", "NUL", "surrogate", "non-empty string or number", "longer than"),
    "query.search_terms": ("NUL", "surrogate"),
    # Offers: a landing page or creative the offer does not have, a deep link it does not allow (or that is
    # not an http(s) URL with a host), a sub ID with a lone surrogate.
    "url_id": "not a landing page of this offer",
    "creative_id": "not a creative of this offer",
    "url": None,
    "sub1": "control characters", "sub2": "control characters", "sub3": "control characters",
    "sub4": "control characters", "sub5": "control characters", "source_id": "control characters",
    "note": "control characters",
    # Invoices: a day the pattern admits but the calendar has not (2026-02-30), or a period ending before it starts.
    "min_start_time": "not a day of the calendar",
    "max_end_time": ("not a day of the calendar", "must not be before"),
}


@pytest.fixture
def app(unbudgeted_app):
    return unbudgeted_app


@pytest.fixture
def fuzz_partner(make, issue):
    """A partner with a week of traffic on two offers, one on-hold conversion, one postback, an invoice with a
    payment, and a key."""
    partner = make.partner()
    offers = [make.offer(name="Acme Shoes"), make.offer(name="Zen Tea")]
    now = datetime.now(UTC).replace(microsecond=0)
    for day in range(7):
        at = now - timedelta(days=day, hours=1)
        for n, offer in enumerate(offers):
            make.click(partner, offer, at=at, sub1=f"sub-{day}", country="US", device="mobile", is_unique=n == 0)
            make.conversion(partner, offer, at=at, payout_cents=250 + day, sub1=f"sub-{day}", country="US",
                            status=("approved", "pending", "rejected")[day % 3])
    make.conversion(partner, offers[0], at=now - timedelta(days=1), payout_cents=400, status="on_hold",
                    hold_until=now + timedelta(days=20))
    make.server_postback(partner, url="https://tracker.example/pb?tid={transaction_id}")
    control(_db, "Junk subs", values=["junk"], comparison_method="contains")
    control(_db, "Countries", offers=offers[:1], partners=(partner,), variable="country", values=["US"],
            control_type="whitelist", date_valid_from=now)
    today = now.date()
    [invoice] = generate_invoices_after(today - timedelta(days=8), today + timedelta(days=1), [partner.id],
                                        None).invoices
    record_payment(invoice.id, today, 100, "bank_transfer", "FUZZ-1", None)
    return SimpleNamespace(partner=partner, key=issue(partner, label="Fuzzing"), invoice=invoice)




class CurrentApp:
    """A WSGI app that hands every request to the app of the test running now (its app context is pushed
    by the `app` fixture), so that the schema, loaded once at collection, reaches each test's own app."""

    def __call__(self, environ, start_response):
        return current_app._get_current_object()(environ, start_response)


# The builder is pure, so the schema is loaded at collection time (schemathesis' lazy fixture loader does
# not work with this pytest); the first test proves it is the very document the app serves.
schema = schemathesis.openapi.from_dict(openapi.build(BASE_URL))
schema.app = CurrentApp()


def test_the_fuzzed_document_is_the_served_one(client):
    assert client.get(DOC, base_url=BASE_URL).json == openapi.build(BASE_URL)


def valid_data_is_accepted(ctx, response, case):
    """schemathesis' positive_data_acceptance, except for the rules above: a schema-valid request gets a
    2xx, or a 400 `{"error": "<field>: <rule>"}` for one of SEMANTIC_RULES."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or is_unexpected_http_status_case(case):
        return None
    if response.status_code == 400:
        field, _, rule = response.json()["error"].partition(": ")
        pieces = SEMANTIC_RULES.get(field, ())
        pieces = (pieces or "",) if pieces is None or isinstance(pieces, str) else pieces
        assert field in SEMANTIC_RULES and any(piece in rule for piece in pieces), (
            f"a schema-valid request was refused: {response.json()}")
        return None
    return positive_data_acceptance(ctx, response, case)


# Werkzeug also matches GET …/conversions/export and GET …/clicks/stream as the detail of a conversion or
# click whose id is "export" or "stream" (a 404): OPTIONS on those URLs rightly lists GET, which the
# document, written per rule, does not.
OVERLAPPING_PATHS = {"/v1/affiliates/reporting/conversions/export", "/v1/affiliates/reporting/clicks/stream"}


def _excluded(case) -> list:
    return [allow_header_conformance] if case.path in OVERLAPPING_PATHS else []


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=not DEEP, database=None,
          suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
def test_the_api_keeps_to_its_document(app, case, fuzz_partner):
    case.call_and_validate(base_url=BASE_URL, headers={"X-Eflow-API-Key": fuzz_partner.key},
                           excluded_checks=[positive_data_acceptance, *_excluded(case)],
                           additional_checks=[valid_data_is_accepted])


def with_hostile_values(test):
    """The test fed generated requests with one query parameter, path parameter or body place made hostile
    (tests/hostile.py: huge integers, inf and NaN, lone surrogates, NUL, long strings, wrong types)."""
    for hook in SCHEMATHESIS_HOOKS:
        test = schema.hooks.apply(hook)(test)
    return test


@with_hostile_values
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES * 2, deadline=None, derandomize=not DEEP, database=None,
          suppress_health_check=list(HealthCheck), phases=[Phase.generate])
def test_hostile_values_get_a_documented_4xx(app, case, fuzz_partner):
    """Never a 5xx; whatever is refused is refused with a documented status and `{"error"}` body."""
    case.call_and_validate(base_url=BASE_URL, headers={"X-Eflow-API-Key": fuzz_partner.key},
                           checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])


# --- what the fuzzer found, kept as plain regression tests --------------------------------------------


def test_a_whole_number_written_with_a_point_is_that_number(client, fuzz_partner):
    """JSON (and every schema validator) reads 67.0 as 67: the API refused it as timezone_id or offer id."""
    body = {"from": "2026-11-01", "to": "2026-11-07", "timezone_id": 67.0, "columns": [{"column": "offer"}],
            "query": {"filters": [{"resource_type": "offer", "filter_id_value": 12.0}]}}
    response = client.post("/v1/affiliates/reporting/entity/table", json=body,
                           headers={"X-Eflow-API-Key": fuzz_partner.key})
    assert response.status_code == 200, response.json
    body["timezone_id"] = 67.5
    response = client.post("/v1/affiliates/reporting/entity/table", json=body,
                           headers={"X-Eflow-API-Key": fuzz_partner.key})
    assert response.status_code == 400 and response.json["error"].startswith("timezone_id:")


def test_a_postback_delay_written_with_a_point_is_that_number(client, fuzz_partner):
    headers = {"X-Eflow-API-Key": fuzz_partner.key}
    body = {"delivery_method": "postback", "pixel_level": "global", "pixel_type": "conversion",
            "postback_url": "https://tracker.example/pb?tid={transaction_id}", "delay_ms": 3803.0}
    created = client.post("/v1/affiliates/pixels", json=body, headers=headers)
    assert created.status_code == 201 and created.json["delay_ms"] == 3803, created.json
    response = client.post("/v1/affiliates/pixels", json=dict(body, delay_ms=3803.5), headers=headers)
    assert response.status_code == 400 and response.json["error"].startswith("delay_ms:")


def test_a_page_size_written_with_a_point_is_that_number(client, fuzz_partner):
    """The document's page and page_size are integers, and 67.0 is one (JSON Schema's integers include it):
    the fuzzer sent ?page_size=67.0 and the API refused it."""
    headers = {"X-Eflow-API-Key": fuzz_partner.key}
    body = {"from": "2026-11-01", "to": "2026-11-07"}
    response = client.post("/v1/affiliates/reporting/conversions?page_size=67.0&page=2.00", json=body, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["paging"]["page"] == 2 and response.json["paging"]["page_size"] == 67
    response = client.post("/v1/affiliates/reporting/conversions?page_size=67.5", json=body, headers=headers)
    assert response.status_code == 400 and response.json["error"].startswith("page_size:")


@pytest.mark.parametrize("header", [{}, {"X-Eflow-API-Key": "afk_live_" + "x" * 49}])
def test_every_documented_operation_refuses_a_missing_or_wrong_key(client, header):
    for path, item in openapi.build(BASE_URL)["paths"].items():
        for method, operation in item.items():
            if not operation["security"]:
                continue
            url = (path.replace("{conversion_id}", "c1").replace("{transaction_id}", "t1")
                   .replace("{pixel_id}", "1").replace("{delivery_id}", "1").replace("{offer_id}", "1")
                   .replace("{url_id}", "0").replace("{creative_id}", "1").replace("{feed_id}", "1")
                   .replace("{control_id}", "1").replace("{invoice_id}", "1"))
            response = client.open(url, method=method.upper(), json={}, headers=header)
            assert response.status_code == 401, (method, path)
            assert response.json["error"] in ("No Authentication Method Found", "Invalid API key")
