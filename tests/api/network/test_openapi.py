"""The Network API's OpenAPI document: served publicly, valid, in step with the URL map both ways, and the
running API fuzzed against it with schemathesis (no 5xx, documented statuses and bodies, 401 without
credentials)."""

from __future__ import annotations

import base64
import os

import pytest
import schemathesis
from flask import current_app
from hypothesis import HealthCheck, Phase, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               positive_data_acceptance, response_schema_conformance,
                                               status_code_conformance)

from portal.api.network import openapi
from portal.api.network.blueprint import PUBLIC_ENDPOINTS
from portal.models import NetworkSettings
from portal.services import customers, transactions
from portal.services.network_keys import issue_pair
from tests.hostile import SCHEMATHESIS_HOOKS

BASE_URL = "http://localhost"
DEEP = int(os.environ.get("FUZZ_EXAMPLES", "0"))
MAX_EXAMPLES = DEEP or 4


def test_the_document_is_public_valid_and_the_one_built(client):
    response = client.get(openapi.OPENAPI_PATH, base_url=BASE_URL)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    assert response.json == openapi.build(BASE_URL)
    validate(response.json)


def test_a_reward_documents_its_invoice_in_partnerstacks_shape():
    invoice = openapi.build(BASE_URL)["components"]["schemas"]["Reward"]["properties"]["invoice"]
    found, absent = invoice["anyOf"]
    assert absent == {"type": "null"} and found["required"] == ["key", "status", "payment_date"]
    assert found["properties"]["status"]["enum"] == ["approved", "charge_succeeded"]


def test_the_document_and_the_url_map_agree_both_ways(app):
    documented = {(path, method.upper()) for path, item in openapi.build(BASE_URL)["paths"].items()
                  for method in item}
    served = {(rule.rule.replace("<path:key>", "{key}").replace("<key>", "{key}"), method)
              for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v2/") for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served


def test_only_the_document_is_public(app):
    assert PUBLIC_ENDPOINTS == {"network_api.openapi_document"}


def test_the_budget_and_its_headers_are_described():
    document = openapi.build(BASE_URL)
    assert set(document["components"]["headers"]) == {"X-RateLimit-Limit", "X-RateLimit-Remaining",
                                                      "X-RateLimit-Reset"}
    listing = document["paths"]["/api/v2/partnerships"]["get"]["responses"]
    assert set(listing["200"]["headers"]) == set(listing["429"]["headers"]) - {"Retry-After"}
    assert "Retry-After" in listing["429"]["headers"] and "X-RateLimit-Limit" not in listing["401"].get("headers", {})


@pytest.fixture
def app(unbudgeted_app):
    """Budgets and the failed-authentication limit out of the fuzzer's reach (both tested on their own)."""
    return unbudgeted_app


@pytest.fixture
def fuzz_pair(make, db):
    """A production pair and something to find: a partnership with a customer and a transaction, and the
    network's offer for transactions."""
    partner = make.partner(email="fuzz@example.com")
    issued = issue_pair("production", "Fuzzing")
    db.session.get(NetworkSettings, 1).network_api_offer_id = make.offer(name="Fuzz offer").id
    db.session.commit()
    customer = customers.create(False, partner, {"customer_key": "fuzz-1", "email": "c@example.com"})
    transactions.create(False, customer, {"amount": 100, "currency": "USD", "key": "fuzz-txn"})
    token = base64.b64encode(f"{issued.key.public_key}:{issued.secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class CurrentApp:
    """Hands every request to the app of the test running now (see tests/api/affiliate/test_schemathesis.py)."""

    def __call__(self, environ, start_response):
        return current_app._get_current_object()(environ, start_response)


schema = schemathesis.openapi.from_dict(openapi.build(BASE_URL))
schema.app = CurrentApp()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=not DEEP, database=None,
          suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
def test_the_network_api_keeps_to_its_document(app, case, fuzz_pair):
    # Valid-looking input may still be refused for what a schema cannot say (an unknown group or partner
    # key, a key in use, a cursor no item has): those are 4xx that name the field, checked elsewhere.
    case.call_and_validate(base_url=BASE_URL, headers=fuzz_pair,
                           excluded_checks=[positive_data_acceptance, negative_data_rejection],
                           additional_checks=[invalid_data_is_refused])


def invalid_data_is_refused(ctx, response, case):
    """schemathesis' negative_data_rejection, except for query parameters the document does not name:
    the API ignores those (tools written for PartnerStack send their own, such as include_offers)."""
    documented = {parameter.name for parameter in case.operation.query}
    if set(case.query or {}) - documented:
        return None
    return negative_data_rejection(ctx, response, case)


def with_hostile_values(test):
    """The test fed generated requests with one query parameter, path parameter or body place made hostile
    (tests/hostile.py: huge integers, lone surrogates, NUL, long strings, wrong types)."""
    for hook in SCHEMATHESIS_HOOKS:
        test = schema.hooks.apply(hook)(test)
    return test


@with_hostile_values
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES * 2, deadline=None, derandomize=not DEEP, database=None,
          suppress_health_check=list(HealthCheck), phases=[Phase.generate])
def test_hostile_values_get_a_documented_4xx(app, case, fuzz_pair):
    """Never a 5xx; whatever is refused is refused with a documented status in the envelope."""
    case.call_and_validate(base_url=BASE_URL, headers=fuzz_pair,
                           checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])
