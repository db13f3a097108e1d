"""Transactions from the Network API: each becomes a conversion of the customer's partner, which fires the
partner's postbacks; its payout is the partner's reward.

- The customer is named by exactly one of `customer_key` (this portal's `cust_…`), `customer_external_key`
  (the network's own id for it) or `customer_email`, within the pair's mode.
- The offer (whose payout rule makes the reward) is `product_key` when it names an offer by id, else the
  network's offer for Network API transactions (Settings); `category_key` is kept as given.
- `key` makes a repeat harmless: the same key again, within the mode, answers with the transaction
  already recorded, and a different transaction under a used key is a 409.
- A test pair's transactions (on test customers) are test conversions that earn nothing; they still fire
  the partner's postbacks, marked as test.
- The conversion is recorded by the conversion intake (portal.services.intake), idempotent on its order id,
  and committed before the transaction row: should the second step fail, the same request again finds the
  conversion and finishes the job, so nothing is recorded twice.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Conversion, Customer, Offer, Transaction
from portal.queries.network import network_settings
from portal.services import audit
from portal.services.intake import IntakeError, IntakeRequest, TokenScope, record_conversion
from portal.services.partnerships import PartnershipError

MAX_AMOUNT = 50_000_000_000  # cents, as PartnerStack allows
KEY_LENGTH = (4, 255)
MAX_PRODUCT_KEY = 255
CUSTOMER_REFERENCES = ("customer_key", "customer_external_key", "customer_email")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_ORDER_ID_LIMIT = 100  # Conversion.order_id


class TransactionError(PartnershipError):
    """A refused transaction: 400 (a field is wrong) or 409 (its key names another transaction)."""


def new_key(prefix: str) -> str:
    return prefix + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(16))


def create(test: bool, body: Mapping[str, Any], actor=None) -> tuple[Transaction, bool]:
    """The transaction (and whether this call recorded it) for a request body; TransactionError otherwise."""
    customer = _customer(test, body)
    amount = body.get("amount")
    if isinstance(amount, float) and amount.is_integer():
        amount = int(amount)
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TransactionError("amount", "required: a whole number of cents")
    if amount < 0:
        raise TransactionError("amount", "refunds (negative amounts) are not supported yet")
    if amount > MAX_AMOUNT:
        raise TransactionError("amount", f"at most {MAX_AMOUNT} cents")
    currency = body.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise TransactionError("currency", "required: a 3-letter ISO 4217 code")
    currency = currency.upper()
    product_key, category_key = _optional_text(body, "product_key"), _optional_text(body, "category_key")
    offer = _offer(product_key)
    if currency != offer.currency:
        raise TransactionError("currency", f"offer {offer.id} pays in {offer.currency}; send amounts in "
                                           f"{offer.currency}")
    key = body.get("key")
    if key is None:
        key = new_key("txn_")
    elif not isinstance(key, str) or not KEY_LENGTH[0] <= len(key) <= KEY_LENGTH[1]:
        raise TransactionError("key", f"text of {KEY_LENGTH[0]} to {KEY_LENGTH[1]} characters")

    existing = _by_key(test, key)
    if existing is not None:
        return _same_or_conflict(existing, customer, amount, currency), False
    try:
        result = record_conversion(IntakeRequest(
            affiliate_id=customer.partner_id, offer_id=offer.id, order_id=_order_id(test, key),
            sale_amount_cents=amount, is_test=test, earns=not test), TokenScope(network=True))
    except IntakeError as err:
        field, _, rule = str(err).partition(": ")
        raise TransactionError(field, rule, 409 if err.status == 409 else 400) from None
    conversion = db.session.scalar(select(Conversion).where(Conversion.conversion_id == result.conversion_id))
    if not result.created and (conversion.partner_id, conversion.sale_amount_cents) != (customer.partner_id, amount):
        # Recorded by an earlier request that stopped before its transaction row, for other values.
        raise TransactionError("key", "already names another transaction (a different customer or amount)", 409)
    row = Transaction(key=key, reward_key=new_key("rwrd_"), customer_id=customer.id, conversion_id=conversion.id,
                      amount_cents=amount, currency=currency, product_key=product_key,
                      category_key=category_key, test=test)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:  # the same key, recorded by a concurrent request a moment ago
        db.session.rollback()
        existing = _by_key(test, key)
        if existing is None:
            raise
        return _same_or_conflict(existing, customer, amount, currency), False
    audit.record("transaction.created", actor=actor, target=row,
                 detail={"transaction": key[:100], "customer": customer.key, "amount": amount,
                         "currency": currency, "conversion_id": result.conversion_id, "test": test})
    db.session.commit()
    return row, True


def _customer(test: bool, body: Mapping[str, Any]) -> Customer:
    given = [name for name in CUSTOMER_REFERENCES if body.get(name) not in (None, "")]
    if len(given) != 1:
        raise TransactionError("customer_key", "give exactly one of customer_key, customer_external_key and "
                                               "customer_email")
    name = given[0]
    value = body[name]
    if not isinstance(value, str) or len(value) > 255 or "\x00" in value:
        raise TransactionError(name, "text of at most 255 characters")
    column = {"customer_key": Customer.key, "customer_external_key": Customer.customer_key,
              "customer_email": Customer.email}[name]
    found = list(db.session.scalars(select(Customer).where(column == value, Customer.test.is_(test),
                                                           Customer.archived_at.is_(None)).limit(2)))
    if not found:
        mode = "test" if test else "production"
        raise TransactionError(name, f"no {mode} customer has this {name.removeprefix('customer_')}")
    if len(found) > 1:
        raise TransactionError(name, "more than one customer has this email; name the customer by "
                                     "customer_key or customer_external_key")
    return found[0]


def _offer(product_key: str | None) -> Offer:
    if product_key is not None and product_key.isascii() and product_key.isdigit() and len(product_key) <= 10:
        offer = db.session.get(Offer, int(product_key))
        if offer is None or offer.status == "deleted":
            raise TransactionError("product_key", f"no offer has id {product_key}")
        return offer
    offer_id = network_settings().network_api_offer_id
    if offer_id is None:
        raise TransactionError("product_key", "name the offer by its id: this network has chosen no offer for "
                                              "Network API transactions (staff: Settings)")
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.status == "deleted":
        raise TransactionError("product_key", "the network's offer for Network API transactions is gone; "
                                              "name an offer by its id")
    return offer


def _optional_text(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_PRODUCT_KEY:
        raise TransactionError(name, f"text of at most {MAX_PRODUCT_KEY} characters, or null")
    return value or None


def _order_id(test: bool, key: str) -> str:
    """The conversion's order id: the key behind a prefix per mode (so that no production key can name a
    test transaction's conversion, nor the reverse), hashed when it would not fit the column."""
    prefix = "napi-test:" if test else "napi:"
    if len(prefix) + len(key) > _ORDER_ID_LIMIT:
        return prefix + "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return prefix + key


def _by_key(test: bool, key: str) -> Transaction | None:
    return db.session.scalar(select(Transaction).where(Transaction.key == key, Transaction.test.is_(test)))


def _same_or_conflict(existing: Transaction, customer: Customer, amount: int, currency: str) -> Transaction:
    if (existing.customer_id, existing.amount_cents, existing.currency) != (customer.id, amount, currency):
        raise TransactionError("key", "already names another transaction (a different customer, amount or "
                                      "currency)", 409)
    return existing
