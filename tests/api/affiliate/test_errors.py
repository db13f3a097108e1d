"""JSON errors everywhere under /v1, never a stack trace; a database or rate-limit store outage is a 503."""

from __future__ import annotations

import pytest
from flask import jsonify, request


@pytest.fixture
def app_with_probe_routes(make_app):
    """The real app plus two routes under /v1 that read a JSON body and that fail, as later endpoints will."""
    app = make_app(PROPAGATE_EXCEPTIONS=False, MAX_CONTENT_LENGTH=1024)

    def echo():
        return jsonify(request.get_json())

    def broken():
        raise RuntimeError("internal detail: /srv/portal/secret.py line 42")

    app.add_url_rule("/v1/affiliates/probe/echo", "probe_echo", echo, methods=["POST"])
    app.add_url_rule("/v1/affiliates/probe/broken", "probe_broken", broken)
    return app


@pytest.mark.parametrize("path", ["/v1", "/v1/", "/v1/affiliates", "/v1/affiliates/nope", "/v1/advertisers/offers"])
def test_unknown_api_paths_are_json_404s(api, path):
    response = api.get(path)
    assert response.status_code == 404 and response.json == {"error": "Not found"}
    assert "X-RateLimit-Limit" in response.headers and "X-RateLimit-Remaining" in response.headers


def test_unknown_network_api_paths_are_json_404s_without_the_affiliate_budget(api):
    """/v1/networks is the Everflow-style Network API's, with its own budget: the partners' is not read there."""
    response = api.get("/v1/networks/nope")
    assert response.status_code == 404 and response.json == {"error": "Not found"}
    assert "X-RateLimit-Limit" not in response.headers


def test_pages_outside_the_api_keep_their_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.content_type.startswith("text/html")


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_a_wrong_method_is_a_json_405_with_allow(client, method):
    response = getattr(client, method)("/v1/affiliates/affiliate")
    assert response.status_code == 405 and response.json == {"error": "Method not allowed"}
    assert "GET" in response.headers["Allow"]


def test_a_body_too_large_is_a_json_413(app_with_probe_routes):
    response = app_with_probe_routes.test_client().post("/v1/affiliates/probe/echo", json={"x": "y" * 5000})
    assert response.status_code == 413 and response.json == {"error": "Request body too large"}


def test_a_body_that_is_not_json_is_a_json_415(app_with_probe_routes):
    response = app_with_probe_routes.test_client().post("/v1/affiliates/probe/echo", data="a=b")
    assert response.status_code == 415
    assert response.json["error"].startswith("Unsupported media type")


def test_malformed_json_is_a_json_400_that_says_so(app_with_probe_routes):
    response = app_with_probe_routes.test_client().post(
        "/v1/affiliates/probe/echo", data="{not json", content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.json["error"]


def test_json_nested_too_deeply_to_parse_is_a_400_not_a_crash(make_app, make, issue):
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    key = issue(make.partner())
    deep = "[" * 100_000 + "]" * 100_000  # deeper than Python's recursion limit
    for path in ("/v1/affiliates/pixels", "/v1/affiliates/reporting/entity/table"):
        response = app.test_client().post(path, data=deep, content_type="application/json",
                                          headers={"X-Eflow-API-Key": key})
        assert response.status_code == 400 and "JSON" in response.json["error"], path


def test_a_server_error_is_a_json_500_without_a_stack_trace(app_with_probe_routes):
    response = app_with_probe_routes.test_client().get("/v1/affiliates/probe/broken")
    assert response.status_code == 500 and response.json == {"error": "Internal server error"}
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "secret.py" not in body and "RuntimeError" not in body


def test_a_database_outage_is_a_json_503_with_retry_after(app_without_database):
    from portal.services.key_material import generate_key

    response = app_without_database.test_client().get(
        "/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": generate_key()})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert response.json["error"].startswith("Service unavailable")


def test_health_is_ok_with_a_database_and_503_without(client, app_without_database):
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.json == {"status": "ok"}
    down = app_without_database.test_client().get("/healthz")
    assert down.status_code == 503 and down.is_json and down.headers["Retry-After"] == "30"


def test_health_needs_no_sign_in_and_is_outside_the_partner_and_staff_doors(app, client):
    assert app.url_map.bind("localhost").match("/healthz")[0] == "health.healthz"
    assert client.get("/healthz").status_code == 200


def test_a_rate_limit_store_outage_is_a_json_503(make_app, make, issue):
    key = issue(make.partner())
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/v1/affiliates/affiliate", headers={"X-Eflow-API-Key": key})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.json["error"].startswith("Service unavailable")
