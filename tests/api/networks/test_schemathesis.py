"""Fuzz the Everflow-style Network API against its own OpenAPI document with schemathesis, and probe it
with hostile values (huge integers, lone surrogates, NUL, wrong types): never a 5xx, every refusal a
documented status with an `{"error"}` body."""

from __future__ import annotations

import os

import pytest
import schemathesis
from flask import current_app
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from portal.api.networks import openapi
from tests.api.networks.conftest import DAY
from tests.hostile import SCHEMATHESIS_HOOKS, hostile_scalar, hostile_text

BASE_URL = "http://localhost"
DOC = "/v1/networks/openapi.json"
EXPORT = "/v1/networks/reporting/conversions/export"
DEEP = int(os.environ.get("FUZZ_EXAMPLES", "0"))
MAX_EXAMPLES = DEEP or 4
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def app(unbudgeted_app):
    return unbudgeted_app


class CurrentApp:
    """Hands every request to the app of the test running now (see tests/api/affiliate/test_schemathesis.py)."""

    def __call__(self, environ, start_response):
        return current_app._get_current_object()(environ, start_response)


schema = schemathesis.openapi.from_dict(openapi.document())
schema.app = CurrentApp()


def test_the_fuzzed_document_is_the_served_one(client):
    assert client.get(DOC, base_url=BASE_URL).json == openapi.document()


def test_the_document_and_the_url_map_agree(app):
    served = {(rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}"), method)
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/v1/networks")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method.upper()) for path, item in openapi.document()["paths"].items() for method in item}
    assert served - {("/v1/networks/openapi.json", "GET")} == documented


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=not DEEP, database=None,
          suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
def test_the_api_keeps_to_its_document(app, case, network, seeded):
    case.call_and_validate(base_url=BASE_URL, headers={"X-Eflow-API-Key": network.secret}, checks=CHECKS)


def with_hostile_values(test):
    for hook in SCHEMATHESIS_HOOKS:
        test = schema.hooks.apply(hook)(test)
    return test


@with_hostile_values
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES * 2, deadline=None, derandomize=not DEEP, database=None,
          suppress_health_check=list(HealthCheck), phases=[Phase.generate])
def test_hostile_values_get_a_documented_4xx(app, case, network, seeded):
    case.call_and_validate(base_url=BASE_URL, headers={"X-Eflow-API-Key": network.secret}, checks=CHECKS)


HUGE = st.sampled_from([2**31, 2**63, 10**30, -(2**63) - 1, 10**400])
SURROGATES = st.sampled_from(["\ud800", "a\udc00b", "\x00"])


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=st.one_of(HUGE, SURROGATES, hostile_scalar, hostile_text),
       place=st.sampled_from(["affiliate_filter", "advertiser_filter", "timezone_id", "column", "pixel_affiliate",
                              "pixel_offer", "link_affiliate", "link_sub1", "offers_advertiser", "path_id",
                              "export_affiliate", "export_column", "export_format", "export_search"]))
def test_huge_integers_and_lone_surrogates_never_fail(network, value, place):
    report = {"from": DAY.strftime("%Y-%m-%d"), "to": DAY.strftime("%Y-%m-%d"), "columns": [{"column": "affiliate"}]}
    calls = {
        "affiliate_filter": ("POST", "/v1/networks/reporting/entity/table",
                             {**report, "query": {"filters": [{"resource_type": "affiliate", "filter_id_value": value}]}}),
        "advertiser_filter": ("POST", "/v1/networks/reporting/conversions",
                              {**report, "query": {"filters": [{"resource_type": "advertiser",
                                                                "filter_id_value": value}]}}),
        "timezone_id": ("POST", "/v1/networks/reporting/clicks/stream", {**report, "timezone_id": value}),
        "column": ("POST", "/v1/networks/reporting/entity/table", {**report, "columns": [{"column": value}]}),
        "pixel_affiliate": ("POST", "/v1/networks/pixels", {"network_affiliate_id": value}),
        "pixel_offer": ("POST", "/v1/networks/pixelstable", {"filters": {"network_offer_id": value}}),
        "link_affiliate": ("POST", "/v1/networks/tracking/offers/clicks",
                           {"network_affiliate_id": value, "network_offer_id": 1}),
        "link_sub1": ("POST", "/v1/networks/tracking/offers/clicks", {"network_affiliate_id": 1, "network_offer_id": 1,
                                                                      "sub1": value}),
        "offers_advertiser": ("POST", "/v1/networks/offerstable", {"filters": {"network_advertiser_id": value}}),
        "export_affiliate": ("POST", EXPORT, {**report, "format": "csv", "query": {"filters": [
            {"resource_type": "affiliate", "filter_id_value": value}]}}),
        "export_column": ("POST", EXPORT, {**report, "format": "json", "columns": [value]}),
        "export_format": ("POST", EXPORT, {**report, "format": value}),
        "export_search": ("POST", EXPORT, {**report, "format": "csv", "query": {"search_terms": [
            {"search_type": "sub1", "value": value}]}}),
    }
    if place == "path_id":
        from urllib.parse import quote
        text = str(value)
        path = "/v1/networks/reporting/conversions/" + quote(text.encode("utf-8", "surrogatepass"), safe="")
        response = network("GET", path)
    else:
        method, path, body = calls[place]
        response = network(method, path, body)
    assert response.status_code < 500, (place, value, response.get_data(as_text=True)[:300])
    if response.status_code == 200 and path == EXPORT:
        assert "attachment" in response.headers["Content-Disposition"]
        return
    assert response.is_json and ("error" in response.json or response.status_code == 200)


def test_the_document_is_valid_openapi_3_1(client):
    from openapi_spec_validator import validate

    document = client.get(DOC).json
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_the_docs_page_draws_this_document(client):
    page = client.get("/docs/networks-api").get_data(as_text=True)
    assert DOC in page and "Everflow-style Network API" in page
