"""Network API credentials: Basic auth with test and production pairs, stored hashed, refused in the
envelope; a partner's Affiliate API key is out of realm here."""

from __future__ import annotations

import logging

from portal.api.network.blueprint import PUBLIC_ENDPOINTS
from portal.models import AuditEvent, NetworkApiKey, Partner
from portal.services.network_keys import issue_pair, revoke_pair
from tests.api.network.conftest import PARTNERSHIPS, basic, count_rows, envelope_of, mistyped


def test_without_credentials_the_answer_is_401_with_a_basic_challenge(client):
    response = client.get(PARTNERSHIPS)
    body = envelope_of(response, 401)
    assert "HTTP Basic" in body["message"] and "data" not in body
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")


def test_wrong_malformed_unknown_and_revoked_credentials_are_401(client, production, db):
    other = issue_pair("production", "another")
    cases = [
        basic(production.key.public_key, other.secret),  # a real secret, of another pair
        basic(production.key.public_key, mistyped(production.secret)),  # checksum fails: no query made
        basic(production.key.public_key, ""),
        basic("npk_live_nobody", production.secret),
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic éé"},  # not ASCII: base64 cannot even start
        {"Authorization": "Bearer something"},
        basic("npk_live_\x00", production.secret),
    ]
    for headers in cases:
        assert envelope_of(client.get(PARTNERSHIPS, headers=headers), 401)["message"] == "Invalid API credentials"
    assert production("GET", PARTNERSHIPS).status_code == 200
    revoke_pair(production.key)
    assert production("GET", PARTNERSHIPS).status_code == 401  # the very next request


def test_a_partner_api_key_is_out_of_realm_here(client, make, issue):
    key = issue(make.partner())
    for headers in ({"X-Eflow-API-Key": key}, {"X-Api-Key": key}, {"Authorization": f"Bearer {key}"},
                    basic(key, "x"), basic("npk_live_x", key)):
        assert envelope_of(client.get(PARTNERSHIPS, headers=headers), 403)["message"] == "Out of realm"


def test_the_secret_is_stored_only_as_a_hash_and_never_logged(client, production, db, caplog):
    row = db.session.get(NetworkApiKey, production.key.id)
    assert production.secret not in repr(vars(row)) and row.secret_hash != production.secret
    with caplog.at_level(logging.DEBUG):
        client.get(PARTNERSHIPS, headers=basic(production.key.public_key, mistyped(production.secret)))
        logging.getLogger("werkzeug").info("GET /api/v2/partnerships Authorization: %s",
                                           production.headers["Authorization"])
    assert production.secret not in caplog.text
    assert production.headers["Authorization"].split()[1] not in caplog.text


def test_use_stamps_the_pair_at_most_once_a_minute(production, db):
    assert production("GET", PARTNERSHIPS).status_code == 200
    first = db.session.get(NetworkApiKey, production.key.id).last_used_at
    assert first is not None
    production("GET", PARTNERSHIPS)
    db.session.expire_all()
    assert db.session.get(NetworkApiKey, production.key.id).last_used_at == first


def test_every_network_api_route_refuses_missing_and_partner_credentials(app, client, make, issue, db):
    """Walk the URL map: every /api/v2 rule and method, without credentials and with a partner's key."""
    partner_key = issue(make.partner())
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/api/v2/") and rule.endpoint not in PUBLIC_ENDPOINTS]
    assert len(rules) >= 5
    before = (count_rows(db, Partner), count_rows(db, AuditEvent))
    for rule in rules:
        path = rule.rule.replace("<key>", "part_gstest")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert envelope_of(client.open(path, method=method, json={}), 401), (method, path)
            refused = client.open(path, method=method, json={}, headers={"X-Eflow-API-Key": partner_key})
            assert envelope_of(refused, 403)["message"] == "Out of realm", (method, path)
    assert (count_rows(db, Partner), count_rows(db, AuditEvent)) == before
