"""The Network API's OpenAPI 3.1 description (`GET /api/v2/openapi.json`), public like the Affiliate API's.

Limits come from the code that enforces them (paging, the services' field limits, the partner-key
pattern). tests/api/test_network_openapi.py checks that the document and `app.url_map` agree in both
directions, validates it, and fuzzes the running API against it with schemathesis.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import current_app, jsonify, request

from portal.api.network import errors, paging
from portal.api.network.blueprint import bp, public
from portal.api.network.views import MAX_FILTER
from portal.http.contract import NETWORK_OPENAPI_PATH
from portal.queries.transactions import REWARD_STATUSES
from portal.services import customers, partnerships, transactions
from portal.services.partners import PARTNER_KEY_PATTERN

OPENAPI_PATH = NETWORK_OPENAPI_PATH
JSON = "application/json"
_SECURITY = [{"basicAuth": []}]
_NULLABLE_TEXT = {"type": ["string", "null"]}
_MS = {"type": "integer", "description": "Epoch milliseconds"}

_ERRORS = {
    400: "Bad input: the message names the field and the rule it broke (`<field>: <rule>`)",
    401: f"No credentials, or wrong, malformed or revoked ones (`{errors.INVALID_CREDENTIALS}`)",
    403: f"`{errors.OUT_OF_REALM}`: a partner's Affiliate API key was sent",
    404: "No such item, or one of the other mode's (the same answer for both)",
    405: "Method not allowed",
    409: "Conflict: a partner key in use or ever used, a customer key taken, a transaction key naming another "
         "transaction, or the built-in test partner",
    413: "Request body too large",
    503: "The database is unreachable: retry after `Retry-After` seconds",
}


def _error(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {"description": _ERRORS[status],
                                "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    if status == 503:
        response["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
    return response


def _one(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": {
        "type": "object", "required": ["data", "message", "status"],
        "properties": {"data": {"$ref": f"#/components/schemas/{name}"}, "message": {"type": "string"},
                       "status": {"type": "integer", "const": 200}}}}}}


def _page(name: str) -> dict[str, Any]:
    return {"description": "One page, newest first", "content": {JSON: {"schema": {
        "type": "object", "required": ["data", "message", "status"],
        "properties": {"data": {"type": "object", "required": ["items", "has_more"], "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}},
            "has_more": {"type": "boolean"}}},
            "message": {"type": "string"}, "status": {"type": "integer", "const": 200}}}}}}


def _responses(ok: dict[str, Any], *statuses: int) -> dict[str, Any]:
    return {"200": ok, **{str(code): _error(code) for code in (400, 401, 403, 405, 503, *statuses)}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _list_parameters(*filters: str, archivable: bool = True) -> list[dict[str, Any]]:
    text = {"type": "string", "maxLength": MAX_FILTER}
    return [
        _query("limit", {"type": "integer", "minimum": 1, "maximum": paging.MAX_LIMIT,
                         "default": paging.DEFAULT_LIMIT}, "Items per page"),
        _query("starting_after", {"type": "string", "maxLength": paging.MAX_KEY},
               "An item's key: the page after it (older items); never with ending_before"),
        _query("ending_before", {"type": "string", "maxLength": paging.MAX_KEY},
               "An item's key: the page before it (newer items)"),
        *(_query(name, {"type": "integer", "minimum": 0, "maximum": paging.MAX_EPOCH_MS},
                 "Epoch milliseconds, bound included")
          for name in ("min_created", "max_created", "min_updated", "max_updated")),
        *([_query("include_archived", {"type": "boolean", "default": False}, "List archived items too")]
          if archivable else []),
        *(_query(name, text, f"Only items with this {name}") for name in filters),
    ]


def _key_parameter(prefix: str, slashes: bool = False) -> list[dict[str, Any]]:
    named = f" (`{prefix}…`)" if prefix else ""
    schema = {"type": "string"} if slashes else {"type": "string", "pattern": "^[^/]+$"}
    return [{"name": "key", "in": "path", "required": True, "schema": schema,
             "description": f"The item's key{named}"}]


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _operation(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "security": _SECURITY, "responses": responses, **extra}


def paths() -> dict[str, Any]:
    partnership, customer = _one("Partnership", "The partnership"), _one("Customer", "The customer")
    return {
        "/api/v2/partnerships": {
            "get": _operation("List partnerships", _responses(_page("Partnership")),
                              parameters=_list_parameters("partner_key", "email", "group_key")),
            "post": _operation("Create a partnership", _responses(partnership, 409),
                               requestBody=_body("PartnershipCreate")),
        },
        "/api/v2/partnerships/{key}": {
            "get": _operation("One partnership", _responses(partnership, 404), parameters=_key_parameter("part_")),
            "patch": _operation("Change a partnership's fields or partner key",
                                _responses(partnership, 404, 409), parameters=_key_parameter("part_"),
                                requestBody=_body("PartnershipUpdate")),
            "delete": _operation("Archive a partnership", _responses(partnership, 404, 409),
                                 parameters=_key_parameter("part_")),
        },
        "/api/v2/groups": {
            "get": _operation("List groups", _responses(_page("Group")),
                              parameters=_list_parameters(archivable=False)),
        },
        "/api/v2/customers": {
            "get": _operation("List customers", _responses(_page("Customer")),
                              parameters=_list_parameters("partner_key", "email", "customer_key")),
            "post": _operation("Create a customer", _responses(customer, 409), requestBody=_body("CustomerCreate")),
        },
        "/api/v2/customers/{key}": {
            "get": _operation("One customer", _responses(customer, 404), parameters=_key_parameter("cust_")),
            "patch": _operation("Change a customer's fields", _responses(customer, 404, 409),
                                parameters=_key_parameter("cust_"), requestBody=_body("CustomerUpdate")),
            "delete": _operation("Archive a customer", _responses(customer, 404),
                                 parameters=_key_parameter("cust_")),
        },
        "/api/v2/transactions": {
            "get": _operation("List transactions", _responses(_page("Transaction")),
                              parameters=_list_parameters("customer_key", archivable=False)),
            "post": _operation("Record a transaction: a conversion of the customer's partner (idempotent on key)",
                               _responses(_one("Transaction", "The transaction (new, or the one under this key)"),
                                          409),
                               requestBody=_body("TransactionCreate")),
        },
        "/api/v2/transactions/{key}": {
            "get": _operation("One transaction", _responses(_one("Transaction", "The transaction"), 404),
                              parameters=_key_parameter("", slashes=True)),
        },
        "/api/v2/rewards": {
            "get": _operation("List rewards: what each transaction earned its partner", _responses(_page("Reward")),
                              parameters=[*_list_parameters(archivable=False),
                                          _query("status", {"type": "string",
                                                            "enum": sorted(set(REWARD_STATUSES.values()))},
                                                 "Only rewards with this reward_status")]),
        },
        OPENAPI_PATH: {
            "get": {"summary": "This description (public)", "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {"schema": {
                        "type": "object"}}}}}},
        },
    }


def _schemas() -> dict[str, Any]:
    name = {"type": ["string", "null"], "maxLength": partnerships.MAX_NAME}
    tags = {"type": ["array", "null"], "maxItems": partnerships.MAX_TAGS,
            "items": {"type": "string", "minLength": 1, "maxLength": partnerships.MAX_TAG}}
    partner_key = {"type": "string", "pattern": f"^{PARTNER_KEY_PATTERN.pattern}$",
                   "description": "Never reused: 409 when in use or ever used. Test pairs cannot choose one"}
    email = {"type": "string", "format": "email", "maxLength": partnerships.MAX_EMAIL}
    meta = {"type": ["object", "null"], "maxProperties": customers.MAX_META_ENTRIES,
            "propertyNames": {"maxLength": customers.MAX_META_NAME},
            "additionalProperties": {"type": ["string", "number", "boolean", "null"],
                                     "maxLength": customers.MAX_META_VALUE}}
    partnership_fields = {"email": email, "first_name": name, "last_name": name, "partner_key": partner_key,
                          "group_key": {"type": "string", "minLength": 1}, "tags": tags}
    customer_fields = {
        "customer_key": {"type": "string", "minLength": 1, "maxLength": customers.MAX_CUSTOMER_KEY},
        "email": email, "partner_key": {"type": "string", "maxLength": 80},
        "name": {"type": ["string", "null"], "maxLength": customers.MAX_NAME},
        "provider_key": {"type": ["string", "null"], "maxLength": customers.MAX_PROVIDER_KEY}, "meta": meta,
    }
    customer_ref = {"type": "object", "required": ["key", "customer_key", "email"], "properties": {
        "key": {"type": "string"}, "customer_key": {"type": "string"}, "email": {"type": "string"}}}
    reference = {"type": ["string", "null"], "maxLength": 255}
    group_ref = {"type": ["object", "null"], "required": ["key", "name", "slug"], "properties": {
        "key": {"type": "string"}, "name": {"type": "string"}, "slug": {"type": "string"}}}
    return {
        "Error": {"type": "object", "required": ["message", "status"],
                  "properties": {"message": {"type": "string"}, "status": {"type": "integer"}}},
        "PartnershipCreate": {"type": "object", "required": ["email"], "properties": partnership_fields},
        "PartnershipUpdate": {"type": "object", "properties": partnership_fields},
        "CustomerCreate": {"type": "object", "required": ["customer_key", "email", "partner_key"],
                           "properties": customer_fields},
        "CustomerUpdate": {"type": "object", "properties": customer_fields},
        "Partnership": {"type": "object", "required": [
            "key", "partner_key", "email", "first_name", "last_name", "group", "tags", "manager", "address",
            "stats", "test", "archived", "created_at", "updated_at", "joined_at"], "properties": {
            "key": {"type": "string"}, "partner_key": {"type": "string"}, "email": _NULLABLE_TEXT,
            "first_name": _NULLABLE_TEXT, "last_name": _NULLABLE_TEXT, "group": group_ref,
            "tags": {"type": "array", "items": {"type": "string"}},
            "manager": {"type": "object", "properties": {"manager_name": {"type": "string"},
                                                         "manager_email": {"type": "string"}}},
            "address": {"type": "null"},
            "stats": {"type": "object", "required": ["CUSTOMER_COUNT"],
                      "properties": {"CUSTOMER_COUNT": {"type": "integer", "minimum": 0}}},
            "test": {"type": "boolean"}, "archived": {"type": "boolean"},
            "created_at": _MS, "updated_at": _MS, "joined_at": {"type": ["integer", "null"]}}},
        "TransactionCreate": {"type": "object", "required": ["amount", "currency"], "properties": {
            "customer_key": reference, "customer_external_key": reference, "customer_email": reference,
            "amount": {"type": "integer", "minimum": 0, "maximum": transactions.MAX_AMOUNT,
                       "description": "Cents; refunds (negative amounts) are not supported yet"},
            "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$"},
            "key": {"type": "string", "minLength": transactions.KEY_LENGTH[0], "maxLength": transactions.KEY_LENGTH[1]},
            "offer_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
                         "description": "(ext) The offer to record it on; else the network's offer for transactions"},
            "product_key": {**reference, "description": "Your product's identifier, kept as given"},
            "category_key": reference},
            "description": "Exactly one of customer_key, customer_external_key and customer_email"},
        "Transaction": {"type": "object", "required": [
            "key", "amount", "currency", "customer_key", "customer", "partner_key", "partnership_key",
            "product_key", "category_key", "conversion_id", "approved", "test", "created_at", "updated_at"],
            "properties": {
                "key": {"type": "string"}, "amount": {"type": "integer"}, "currency": {"type": "string"},
                "customer_key": {"type": "string"}, "customer": customer_ref, "partner_key": {"type": "string"},
                "partnership_key": {"type": "string"}, "product_key": _NULLABLE_TEXT,
                "category_key": _NULLABLE_TEXT, "conversion_id": {"type": "string"}, "approved": {"type": "boolean"},
                "test": {"type": "boolean"}, "created_at": _MS, "updated_at": _MS}},
        "Reward": {"type": "object", "required": [
            "key", "amount", "currency", "reward_status", "description", "customer", "transaction", "partnership",
            "created_at", "updated_at"], "properties": {
            "key": {"type": "string"}, "amount": {"type": "integer"}, "currency": {"type": "string"},
            "reward_status": {"type": "string", "enum": sorted(set(REWARD_STATUSES.values()))},
            "description": {"type": "string"}, "customer": customer_ref,
            "transaction": {"type": "object", "required": ["key", "amount", "currency"], "properties": {
                "key": {"type": "string"}, "amount": {"type": "integer"}, "currency": {"type": "string"}}},
            "partnership": {"type": "object", "required": ["key", "partner_key", "email"], "properties": {
                "key": {"type": "string"}, "partner_key": {"type": "string"}, "email": _NULLABLE_TEXT}},
            "created_at": _MS, "updated_at": _MS}},
        "Group": {"type": "object", "required": ["key", "name", "slug", "default", "created_at", "updated_at"],
                  "properties": {"key": {"type": "string"}, "name": {"type": "string"}, "slug": {"type": "string"},
                                 "default": {"type": "boolean"}, "created_at": _MS, "updated_at": _MS}},
        "Customer": {"type": "object", "required": [
            "key", "customer_key", "email", "name", "partner_key", "partnership_key", "provider_key", "meta",
            "test", "archived", "created_at", "updated_at"], "properties": {
            "key": {"type": "string"}, "customer_key": {"type": "string"}, "email": {"type": "string"},
            "name": _NULLABLE_TEXT, "partner_key": {"type": "string"}, "partnership_key": {"type": "string"},
            "provider_key": _NULLABLE_TEXT, "meta": {"type": "object"}, "test": {"type": "boolean"},
            "archived": {"type": "boolean"}, "created_at": _MS, "updated_at": _MS}},
    }


def build(base_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Network API", "version": "2",
                 "description": "The network's own back end: partnerships, groups, customers, transactions and "
                                "rewards. HTTP Basic "
                                "with a test or production key pair; `{data, message, status}`; cursor paging."},
        "servers": [{"url": base_url}],
        "paths": paths(),
        "components": {"securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic",
                                                         "description": "Public key : secret key"}},
                       "schemas": _schemas()},
    }


@lru_cache(maxsize=8)
def cached(base_url: str) -> dict[str, Any]:
    return build(base_url)


@bp.get("/openapi.json")
@public
def openapi_document():
    """This description: public (it holds no data of the network's)."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    response = jsonify(cached((configured or request.host_url).rstrip("/")))
    response.headers["Cache-Control"] = "public, max-age=300" if configured else "no-cache"
    return response
