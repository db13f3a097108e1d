"""The Affiliate API's front door: the key decides the partner, and every refusal has the spec's exact text."""

from __future__ import annotations

import base64

import pytest

from portal.services.key_material import generate_key
from portal.services.keys import find_by_secret, revoke_key

ACCOUNT = "/v1/affiliates/affiliate"
ROUTES = ("/v1/affiliates/affiliate", "/v1/affiliates/network", "/v1/meta/timezones")


@pytest.mark.parametrize("header", ["X-Eflow-API-Key", "X-Eflow-Api-Key", "x-eflow-api-key", "X-Api-Key",
                                    "Authorization"])
def test_the_key_is_accepted_in_each_documented_header(api, make, issue, header):
    key = issue(make.partner())
    response = api.get(ACCOUNT, key=key, header=header)
    assert response.status_code == 200 and response.is_json


@pytest.mark.parametrize("route", ROUTES)
def test_no_key_header_is_no_authentication_method_found(api, route):
    response = api.get(route)
    assert response.status_code == 401
    assert response.json == {"error": "No Authentication Method Found"}


@pytest.mark.parametrize("headers", [
    {"X-Eflow-API-Key": ""}, {"X-Eflow-API-Key": "   "}, {"Authorization": "Bearer "},
    {"Authorization": "Token abc"}, {"X-Key": generate_key()},
])
def test_empty_or_unknown_ways_of_sending_a_key_find_no_method(api, headers):
    response = api.get(ACCOUNT, headers=headers)
    assert response.status_code == 401 and response.json == {"error": "No Authentication Method Found"}


@pytest.mark.parametrize("secret", ["a-network-secret", None])
def test_a_network_api_credential_on_this_surface_is_out_of_realm(api, make, issue, secret):
    # HTTP Basic (public key : secret key) is how the Network API is called; here it is the wrong surface,
    # even when an affiliate key rides in it, and it spends nothing of the budget.
    key = issue(make.partner())
    basic = base64.b64encode(f"pk_live_public:{secret or key}".encode()).decode()
    response = api.get(ACCOUNT, headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 403 and response.json == {"error": "Out of realm"}
    assert response.headers["X-RateLimit-Remaining"] == "20"


def test_an_affiliate_key_header_beside_basic_auth_is_what_counts(api, make, issue):
    key = issue(make.partner())
    basic = base64.b64encode(b"pk_live_public:secret").decode()
    response = api.get(ACCOUNT, headers={"Authorization": f"Basic {basic}", "X-Eflow-API-Key": key})
    assert response.status_code == 200


@pytest.mark.parametrize("presented", [
    lambda key: generate_key(),                # well formed, never issued
    lambda key: key[:-1] + ("1" if key[-1] != "1" else "2"),  # checksum fails
    lambda key: "not-a-key",
    lambda key: key + " extra",
    lambda key: key.upper(),
])
def test_unknown_and_malformed_keys_are_invalid(api, make, issue, presented):
    key = issue(make.partner())
    response = api.get(ACCOUNT, key=presented(key))
    assert response.status_code == 401 and response.json == {"error": "Invalid API key"}


def test_revocation_takes_effect_on_the_very_next_request(api, make, issue):
    key = issue(make.partner())
    assert api.get(ACCOUNT, key=key).status_code == 200
    revoke_key(find_by_secret(key))
    response = api.get(ACCOUNT, key=key)
    assert response.status_code == 401 and response.json == {"error": "Invalid API key"}


def test_revocation_by_another_process_is_seen_on_the_next_request(api, make, issue, make_app):
    key = issue(make.partner())
    assert api.get(ACCOUNT, key=key).status_code == 200
    other = make_app()  # another process: its own session, its own connections
    with other.app_context():
        revoke_key(find_by_secret(key))
    assert api.get(ACCOUNT, key=key).status_code == 401


@pytest.mark.parametrize("param", ["api_key", "API_KEY", "apikey", "ApiKey", "key", "token", "x-eflow-api-key",
                                   "X-Api-Key", "access_token"])
def test_a_key_in_the_query_string_is_refused_even_with_a_valid_header(api, make, issue, param):
    key = issue(make.partner())
    response = api.get(f"{ACCOUNT}?{param}={key}", key=key)
    assert response.status_code == 401
    assert response.json["error"].startswith("API keys are not accepted in the query string")


def test_a_key_under_any_query_parameter_name_is_refused(api, make, issue):
    key = issue(make.partner())
    assert api.get(f"{ACCOUNT}?sub1={key}", key=key).status_code == 401


def test_a_key_in_the_query_string_alone_is_refused(api, make, issue):
    key = issue(make.partner())
    assert api.get(f"{ACCOUNT}?api_key={key}").status_code == 401


def test_unrelated_query_parameters_are_fine(api, make, issue):
    key = issue(make.partner())
    assert api.get(f"{ACCOUNT}?page=2&page_size=50&keyword=shoes", key=key).status_code == 200


def test_a_partners_key_only_ever_shows_that_partners_account(api, make, issue):
    alpha, beta = make.partner(name="Alpha Media"), make.partner(name="Beta Deals")
    alpha_key, beta_key = issue(alpha), issue(beta)
    for query in ("", f"?affiliate_id={beta.id}", f"?partner_id={beta.id}", f"?network_affiliate_id={beta.id}",
                  f"?affiliate_id={beta.id}&partner_id={beta.id}"):
        body = api.get(ACCOUNT + query, key=alpha_key).json
        assert body["network_affiliate_id"] == alpha.id and body["name"] == "Alpha Media"
        assert "Beta Deals" not in str(body)
    assert api.get(ACCOUNT, key=beta_key).json["network_affiliate_id"] == beta.id


def test_refusals_are_json_and_carry_no_partner_data(api, make, issue):
    partner = make.partner(name="Secretive Media")
    key = issue(partner)
    revoke_key(find_by_secret(key))
    response = api.get(ACCOUNT, key=key)
    assert response.content_type == "application/json"
    assert "Secretive" not in response.get_data(as_text=True)


def test_the_api_sets_no_session_cookie(api, make, issue):
    key = issue(make.partner())
    assert "Set-Cookie" not in api.get(ACCOUNT, key=key).headers


@pytest.mark.parametrize("status", ["suspended", "inactive"])
def test_a_suspended_partners_keys_stop_working(api, make, issue, db, status):
    partner = make.partner()
    key = issue(partner)
    assert api.get(ACCOUNT, key=key).status_code == 200
    partner.status = status
    db.session.commit()
    response = api.get(ACCOUNT, key=key)
    assert response.status_code == 403
    assert response.json == {"error": "Partner account is not active; contact your account manager"}
