"""The OpenAPI description: valid, public, free of the budget, and in step with the URL map both ways."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from portal.api.affiliate import openapi
from portal.domain import criteria, timezones
from portal.exports.tabular import EXPORT_FORMATS

DOC = "/v1/affiliates/openapi.json"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _api_routes(app) -> set[tuple[str, str]]:
    """(METHOD, /path/{var}) of every rule under /v1 but /v1/networks (the Everflow-style Network API, which
    has its own document), in OpenAPI's path-template form."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1/") and not rule.rule.startswith("/v1/networks"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found |= {(method, path) for method in rule.methods & METHODS}
    return found


def _documented(document) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}


@pytest.fixture
def document(client):
    response = client.get(DOC)
    assert response.status_code == 200
    return response.json


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)  # openapi-spec-validator, independent of the code that built it


def test_every_api_route_is_documented_and_nothing_else(app, document):
    routes, documented = _api_routes(app), _documented(document)
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "documented operations that the app does not serve"
    assert len(routes) >= 13


def test_the_document_is_public_and_spends_no_budget(make_app, make, issue):
    app = make_app(API_RATE_PER_SECOND=1, API_RATE_BURST=2, API_PARTNER_SHARE=1)  # one partner may spend it all
    with app.app_context():
        key = issue(make.partner())
        client = app.test_client()
        for _ in range(5):  # more than the whole burst, without a key
            assert client.get(DOC).status_code == 200
        for _ in range(2):  # the burst is still whole for the partners' real requests
            assert client.get("/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": key}).status_code == 200
        assert client.get("/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": key}).status_code == 429


def test_every_other_api_route_still_needs_a_key(client, document):
    response = client.get("/v1/affiliates/affiliate")
    assert response.status_code == 401 and response.json == {"error": "No Authentication Method Found"}
    secured = [op for item in document["paths"].values() for op in item.values() if op["security"]]
    assert len(secured) == len(_documented(document)) - 1


def test_the_server_is_the_configured_public_url(make_app):
    app = make_app(PUBLIC_BASE_URL="https://partners.example.com/")
    with app.app_context():
        document = app.test_client().get(DOC).json
    assert document["servers"] == [{"url": "https://partners.example.com"}]
    with app.app_context():
        assert app.test_client().get(DOC).headers["Cache-Control"] == "public, max-age=300"


def test_the_server_defaults_to_the_requests_host_and_is_then_not_cached(client):
    response = client.get(DOC, base_url="https://portal.acme.test")
    assert response.json["servers"] == [{"url": "https://portal.acme.test"}]
    assert response.headers["Cache-Control"] == "no-cache"  # the Host header is the client's to choose


def test_the_title_carries_the_networks_name(client, document):
    assert document["info"]["title"] == "Partner Network Affiliate API"


def test_limits_and_names_come_from_the_code(document):
    schemas = document["components"]["schemas"]
    report = schemas["ReportRequest"]["properties"]
    assert report["columns"]["items"]["properties"]["column"]["enum"] == list(criteria.REPORT_COLUMNS)
    assert report["columns"]["maxItems"] == criteria.MAX_COLUMNS
    assert report["timezone_id"]["anyOf"][0]["enum"] == [z.timezone_id for z in timezones.TIMEZONES]
    page_size = document["components"]["parameters"]["page_size"]["schema"]
    assert page_size["anyOf"][0]["maximum"] == criteria.MAX_PAGE_SIZE
    assert document["components"]["parameters"]["order_field"]["schema"]["enum"] == ["", *criteria.ORDER_FIELDS]
    export = schemas["ConversionsExportRequest"]["allOf"][1]["properties"]["format"]
    assert export["enum"] == list(EXPORT_FORMATS)


def test_response_schemas_follow_the_serialisers(document):
    """A field the serialiser returns is in the schema, required; an unknown one is refused."""
    conversion = document["components"]["schemas"]["Conversion"]
    from portal.api.affiliate.openapi_schemas import _sample
    from portal.api.affiliate.report_shapes import conversion as shape
    from portal.domain.records import ConversionRecord

    fields = set(shape(_sample(ConversionRecord, True)))
    assert set(conversion["properties"]) == fields == set(conversion["required"])
    assert conversion["additionalProperties"] is False
    assert conversion["properties"]["holding_period_end"]["type"] == ["integer", "null"]


def test_errors_rate_limit_headers_and_security_schemes_are_described(document):
    components = document["components"]
    assert components["schemas"]["Error"]["properties"] == {"error": {"type": "string"}}
    assert set(components["headers"]) == {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                                          "Retry-After"}
    assert "Retry-After" in components["responses"]["E429"]["headers"]
    schemes = components["securitySchemes"]
    assert schemes["EflowApiKey"] == {**schemes["EflowApiKey"], "type": "apiKey", "in": "header",
                                      "name": "X-Eflow-API-Key"}
    assert schemes["BearerKey"]["scheme"] == "bearer"
    table = document["paths"]["/v1/affiliates/reporting/entity/table"]["post"]
    assert {"400", "401", "403", "429"} <= set(table["responses"])


def test_the_builder_is_deterministic():
    assert openapi.build("https://a.test") == openapi.build("https://a.test")
