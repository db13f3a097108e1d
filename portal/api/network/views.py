"""Partnerships, groups, customers, transactions and rewards (`/api/v2/…`)."""

from __future__ import annotations

from typing import Any

from flask import request

from portal.api.network import envelope, paging, serialise
from portal.api.network.auth import caller
from portal.api.network.blueprint import bp
from portal.api.network.errors import NOT_FOUND, NetworkApiError, bad_request
from portal.models import Customer, Partner, PartnerGroup, Transaction
from portal.queries import customers as customer_queries
from portal.queries import partnerships as queries
from portal.queries import transactions as transaction_queries
from portal.services import customers as customer_service
from portal.services import partnerships as service
from portal.services import transactions as transaction_service
from portal.services.partnerships import PartnershipError

MAX_FILTER = 255


def _body() -> dict[str, Any]:
    """The request's JSON object (an empty body is an empty object), every string in it storable text."""
    body = request.get_json(silent=True) if request.get_data(cache=True) else {}
    if body is None:
        raise bad_request("body", "must be JSON (Content-Type: application/json)")
    if not isinstance(body, dict):
        raise bad_request("body", "must be a JSON object")
    _check_text(body, "body")
    return body


def _check_text(value: object, where: str) -> None:
    """JSON's "\\ud800" escapes decode to lone surrogates, and "\\u0000" to NUL: neither can be stored."""
    if isinstance(value, dict):
        for name, item in value.items():
            _check_text(name, where)
            _check_text(item, name if where == "body" else where)
    elif isinstance(value, list):
        for item in value:
            _check_text(item, where)
    elif isinstance(value, str):
        if "\x00" in value:
            raise bad_request(where, "text must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise bad_request(where, "must be valid text (a lone UTF-16 surrogate is not)") from None


def _filter(name: str) -> str | None:
    return paging.text_arg(name, MAX_FILTER)


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


def _refused(err: PartnershipError) -> NetworkApiError:
    return NetworkApiError(err.status, err.message)


@bp.get("/partnerships")
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


def _one_partnership(row: Partner, message: str, status: int = 200):
    count = customer_queries.counts([row.id]).get(row.id, 0)
    return envelope.one(serialise.partnership(row, count), message, status)


@bp.post("/partnerships")
def create_partnership():
    try:
        row = service.create(caller().test, _body(), actor=caller())
    except PartnershipError as err:
        raise _refused(err) from None
    return _one_partnership(row, "Partnership created")


@bp.get("/partnerships/<key>")
def get_partnership(key: str):
    return _one_partnership(_partnership(key), "Partnership returned successfully")


@bp.patch("/partnerships/<key>")
def update_partnership(key: str):
    row = _partnership(key)
    try:
        row = service.update(row, _body(), actor=caller())
    except PartnershipError as err:
        raise _refused(err) from None
    return _one_partnership(row, "Partnership updated")


@bp.delete("/partnerships/<key>")
def archive_partnership(key: str):
    try:
        row = service.archive(_partnership(key), actor=caller())
    except PartnershipError as err:
        raise _refused(err) from None
    return _one_partnership(row, "Partnership archived")


@bp.get("/groups")
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


@bp.get("/customers")
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


@bp.post("/customers")
def create_customer():
    try:
        row = customer_service.create(caller().test, _body(), actor=caller())
    except PartnershipError as err:
        raise _refused(err) from None
    return envelope.one(serialise.customer(row), "Customer created")


@bp.get("/customers/<key>")
def get_customer(key: str):
    return envelope.one(serialise.customer(_customer(key)), "Customer returned successfully")


@bp.patch("/customers/<key>")
def update_customer(key: str):
    row = _customer(key)
    try:
        row = customer_service.update(row, _body(), actor=caller())
    except PartnershipError as err:
        raise _refused(err) from None
    return envelope.one(serialise.customer(row), "Customer updated")


@bp.delete("/customers/<key>")
def archive_customer(key: str):
    return envelope.one(serialise.customer(customer_service.archive(_customer(key), actor=caller())),
                        "Customer archived")


@bp.get("/transactions")
def list_transactions():
    page = paging.from_request()
    test = caller().test
    stmt = transaction_queries.transactions(test, customer_key=_filter("customer_key"))
    stmt = stmt.where(*paging.time_filters(page, Transaction.created_at, transaction_queries.UPDATED_AT))
    rows, has_more = paging.fetch(stmt, page, key=Transaction.key, created=Transaction.created_at,
                                  ident=Transaction.id, scope=transaction_queries.in_mode(test))
    return envelope.page([serialise.transaction(row) for row in rows], has_more)


@bp.post("/transactions")
def create_transaction():
    try:
        row, created = transaction_service.create(caller().test, _body(), actor=caller())
    except PartnershipError as err:
        raise _refused(err) from None
    return envelope.one(serialise.transaction(row), "Transaction created" if created else
                        "Transaction already recorded under this key")


@bp.get("/transactions/<path:key>")  # the caller's own keys may hold slashes
def get_transaction(key: str):
    found = transaction_queries.transaction(caller().test, key) if paging.plausible_key(key) else None
    if found is None:
        raise NetworkApiError(404, f"{NOT_FOUND}: no transaction has the key {key[:80]!r}")
    return envelope.one(serialise.transaction(found), "Transaction returned successfully")


@bp.get("/rewards")
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
    return envelope.page([serialise.reward(row) for row in rows], has_more)
