"""Partnerships, groups, customers, transactions and rewards (`/api/v2/…`), each route declared once with
the models it reads and answers (openapi.operation); refusals are the blueprint's to answer."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from pydantic import BaseModel

from portal.api.network import envelope, paging, schemas, serialise
from portal.api.network.auth import caller
from portal.api.network.errors import NOT_FOUND, NetworkApiError, bad_request
from portal.api.network.openapi import cached, operation
from portal.api.network.rules import parse
from portal.models import Customer, Partner, PartnerGroup, Transaction
from portal.queries import customers as customer_queries
from portal.queries import partnerships as queries
from portal.queries import reward_invoices
from portal.queries import transactions as transaction_queries
from portal.services import customers as customer_service
from portal.services import partnerships as service
from portal.services import transactions as transaction_service


def _json() -> Any:
    """The request's JSON (an empty body is an empty object)."""
    body = request.get_json(silent=True) if request.get_data(cache=True) else {}
    if body is None:
        raise bad_request("body", "must be JSON (Content-Type: application/json)")
    return body


def _given(model: type[BaseModel], body: Any) -> dict[str, Any]:
    """The fields the body gives, as `model` checks them for the calling pair."""
    return parse(model, body, test=caller().test).model_dump(exclude_unset=True)


def _body(model: type[BaseModel]) -> dict[str, Any]:
    return _given(model, _json())


def _filter(name: str) -> str | None:
    return paging.text_arg(name, paging.MAX_FILTER)


def _flag(name: str) -> bool:
    raw = request.args.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise bad_request(name, "true or false")
    return raw in ("true", "1")


def _partnership(key: str) -> Partner:
    found = queries.partnership(caller().test, key) if paging.plausible_key(key) else None
    if found is None:
        raise NetworkApiError(404, f"{NOT_FOUND}: no partnership has the key {key[:80]!r}")
    return found


@operation("GET", "/partnerships", "List partnerships", page=schemas.Partnership,
           filters=("partner_key", "email", "group_key"), archivable=True)
def list_partnerships():
    page = paging.from_request()
    test = caller().test
    stmt = queries.partnerships(test, include_archived=_flag("include_archived"), group_key=_filter("group_key"),
                                partner_key=_filter("partner_key"), email=_filter("email"))
    stmt = stmt.where(*paging.time_filters(page, Partner.created_at, Partner.updated_at))
    rows, has_more = paging.fetch(stmt, page, key=Partner.partnership_key, created=Partner.created_at,
                                  ident=Partner.id, scope=queries.in_mode(test))
    counts = customer_queries.counts([row.id for row in rows])
    return envelope.page([serialise.partnership(row, counts.get(row.id, 0)) for row in rows], has_more)


def _one_partnership(row: Partner, message: str):
    count = customer_queries.counts([row.id]).get(row.id, 0)
    return envelope.one(serialise.partnership(row, count), message)


@operation("POST", "/partnerships", "Create a partnership", body=schemas.PartnershipCreate,
           one=schemas.Partnership, conflict=True)
def create_partnership():
    row = service.create(caller().test, _body(schemas.PartnershipCreate), actor=caller())
    return _one_partnership(row, "Partnership created")


@operation("GET", "/partnerships/<key>", "One partnership", one=schemas.Partnership)
def get_partnership(key: str):
    return _one_partnership(_partnership(key), "Partnership returned successfully")


@operation("PATCH", "/partnerships/<key>", "Change a partnership's fields or partner key",
           body=schemas.PartnershipUpdate, one=schemas.Partnership, conflict=True)
def update_partnership(key: str):
    row = _partnership(key)
    row = service.update(row, _body(schemas.PartnershipUpdate), actor=caller())
    return _one_partnership(row, "Partnership updated")


@operation("DELETE", "/partnerships/<key>", "Archive a partnership", one=schemas.Partnership, conflict=True)
def archive_partnership(key: str):
    return _one_partnership(service.archive(_partnership(key), actor=caller()), "Partnership archived")


@operation("GET", "/groups", "List groups", page=schemas.Group)
def list_groups():
    page = paging.from_request()
    stmt = queries.groups().where(*paging.time_filters(page, PartnerGroup.created_at, PartnerGroup.updated_at))
    rows, has_more = paging.fetch(stmt, page, key=PartnerGroup.key, created=PartnerGroup.created_at,
                                  ident=PartnerGroup.id, scope=[])
    return envelope.page([serialise.group(row) for row in rows], has_more)


def _customer(key: str) -> Customer:
    found = customer_queries.customer(caller().test, key) if paging.plausible_key(key) else None
    if found is None:
        raise NetworkApiError(404, f"{NOT_FOUND}: no customer has the key {key[:80]!r}")
    return found


@operation("GET", "/customers", "List customers", page=schemas.Customer,
           filters=("partner_key", "email", "customer_key"), archivable=True)
def list_customers():
    page = paging.from_request()
    test = caller().test
    stmt = customer_queries.customers(test, include_archived=_flag("include_archived"),
                                      partner_key=_filter("partner_key"), email=_filter("email"),
                                      customer_key=_filter("customer_key"))
    stmt = stmt.where(*paging.time_filters(page, Customer.created_at, Customer.updated_at))
    rows, has_more = paging.fetch(stmt, page, key=Customer.key, created=Customer.created_at, ident=Customer.id,
                                  scope=customer_queries.in_mode(test))
    return envelope.page([serialise.customer(row) for row in rows], has_more)


@operation("POST", "/customers", "Create a customer", body=schemas.CustomerCreate, one=schemas.Customer,
           conflict=True)
def create_customer():
    test, body = caller().test, _json()
    # The owner first, then the rest of the body (see schemas.CustomerOwner).
    partner = customer_service.find_partnership(test, _given(schemas.CustomerOwner, body)["partner_key"])
    row = customer_service.create(test, partner, _given(schemas.CustomerCreate, body), actor=caller())
    return envelope.one(serialise.customer(row), "Customer created")


@operation("GET", "/customers/<key>", "One customer", one=schemas.Customer)
def get_customer(key: str):
    return envelope.one(serialise.customer(_customer(key)), "Customer returned successfully")


@operation("PATCH", "/customers/<key>", "Change a customer's fields", body=schemas.CustomerUpdate,
           one=schemas.Customer, conflict=True)
def update_customer(key: str):
    row, body = _customer(key), _json()
    # The owner first, then the rest of the body (see schemas.CustomerKeptOwner).
    customer_service.keep_partnership(row, _given(schemas.CustomerKeptOwner, body))
    row = customer_service.update(row, _given(schemas.CustomerUpdate, body), actor=caller())
    return envelope.one(serialise.customer(row), "Customer updated")


@operation("DELETE", "/customers/<key>", "Archive a customer", one=schemas.Customer)
def archive_customer(key: str):
    return envelope.one(serialise.customer(customer_service.archive(_customer(key), actor=caller())),
                        "Customer archived")


@operation("GET", "/transactions", "List transactions", page=schemas.Transaction, filters=("customer_key",))
def list_transactions():
    page = paging.from_request()
    test = caller().test
    stmt = transaction_queries.transactions(test, customer_key=_filter("customer_key"))
    stmt = stmt.where(*paging.time_filters(page, Transaction.created_at, transaction_queries.UPDATED_AT))
    rows, has_more = paging.fetch(stmt, page, key=Transaction.key, created=Transaction.created_at,
                                  ident=Transaction.id, scope=transaction_queries.in_mode(test))
    return envelope.page([serialise.transaction(row) for row in rows], has_more)


@operation("POST", "/transactions",
           "Record a transaction: a conversion of the customer's partner (idempotent on key)",
           body=schemas.TransactionCreate, one=schemas.Transaction,
           says="The transaction (new, or the one under this key)", conflict=True)
def create_transaction():
    test, body = caller().test, _json()
    # The owner first, then the rest of the body (see schemas.CustomerReference).
    customer = transaction_service.find_customer(test, _given(schemas.CustomerReference, body))
    row, created = transaction_service.create(test, customer, _given(schemas.TransactionCreate, body),
                                              actor=caller())
    return envelope.one(serialise.transaction(row), "Transaction created" if created else
                        "Transaction already recorded under this key")


@operation("GET", "/transactions/<path:key>", "One transaction", one=schemas.Transaction)  # keys may hold slashes
def get_transaction(key: str):
    found = transaction_queries.transaction(caller().test, key) if paging.plausible_key(key) else None
    if found is None:
        raise NetworkApiError(404, f"{NOT_FOUND}: no transaction has the key {key[:80]!r}")
    return envelope.one(serialise.transaction(found), "Transaction returned successfully")


@operation("GET", "/rewards", "List rewards: what each transaction earned its partner", page=schemas.Reward,
           query={"status": (schemas.RewardStatus, "Only rewards with this reward_status")})
def list_rewards():
    page = paging.from_request()
    test = caller().test
    status = _filter("status")
    if status is not None and status not in transaction_queries.REWARD_STATUSES.values():
        raise bad_request("status", "one of " + ", ".join(transaction_queries.REWARD_STATUSES.values()))
    stmt = transaction_queries.rewards(test, status=status)
    stmt = stmt.where(*paging.time_filters(page, Transaction.created_at, transaction_queries.UPDATED_AT))
    rows, has_more = paging.fetch(stmt, page, key=Transaction.reward_key, created=Transaction.created_at,
                                  ident=Transaction.id, scope=transaction_queries.in_mode(test))
    invoices = reward_invoices.invoices_of_conversions(row.conversion_id for row in rows)
    return envelope.page([serialise.reward(row, invoices.get(row.conversion_id)) for row in rows], has_more)


@operation("GET", "/openapi.json", "This description (public)", public=True)
def openapi_document():
    """This description: public (it holds no data of the network's)."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    response = jsonify(cached((configured or request.host_url).rstrip("/")))
    response.headers["Cache-Control"] = "public, max-age=300" if configured else "no-cache"
    return response
