"""The Network API's test helpers: key pairs of each mode and a client calling with them, the envelope."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import func, select

from portal.services.key_material import generate_key
from portal.services.network_keys import SECRET_PREFIXES, issue_pair

PARTNERSHIPS = "/api/v2/partnerships"
TRANSACTIONS = "/api/v2/transactions"
CUSTOMERS = "/api/v2/customers"
CUSTOMER_FIELDS = {"key", "customer_key", "email", "name", "partner_key", "partnership_key", "provider_key",
                   "meta", "test", "archived", "created_at", "updated_at"}
PARTNERSHIP_FIELDS = {"key", "partner_key", "email", "first_name", "last_name", "group", "tags", "manager",
                      "address", "stats", "test", "archived", "created_at", "updated_at", "joined_at"}


def basic(public_key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{public_key}:{secret}".encode()).decode()}


class Pair:
    """A key pair and a client that calls with it."""

    def __init__(self, client, mode: str) -> None:
        issued = issue_pair(mode, f"{mode} back end")
        self.client, self.key, self.secret = client, issued.key, issued.secret
        self.headers = basic(issued.key.public_key, issued.secret)

    def __call__(self, method: str, path: str, body=None, **kwargs):
        if body is not None:
            kwargs["json"] = body
        return self.client.open(path, method=method, headers=self.headers, **kwargs)


@pytest.fixture
def production(client, db):
    return Pair(client, "production")


@pytest.fixture
def test_pair(client, db):
    return Pair(client, "test")


def mistyped(secret: str) -> str:
    """The secret with its last character changed (to one it surely is not)."""
    return secret[:-1] + ("x" if secret[-1] != "x" else "y")


def count_rows(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def envelope_of(response, status: int) -> dict:
    assert response.status_code == status and response.is_json
    body = response.json
    assert body["status"] == status and isinstance(body["status"], int) and isinstance(body["message"], str)
    return body




def well_formed_secret() -> str:
    """A production secret that passes the checksum (so the lookup runs) and that no pair has."""
    return generate_key(SECRET_PREFIXES["production"])

