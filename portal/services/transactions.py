"""Transactions from the Network API: each becomes a conversion of the customer's partner, which fires the
partner's postbacks; its payout is the partner's reward.

The values arrive checked for shape and format (portal/api/network/schemas.py); what needs the database is
checked here.

- The customer is named by exactly one of `customer_key` (this portal's `cust_…`), `customer_external_key`
  (the network's own id for it) or `customer_email`, within the pair's mode; its partnership must not be
  archived.
- The offer (whose payout rule makes the reward) is `offer_id` (an extension) when given, else the
  network's offer for Network API transactions (Settings); it must be active. `product_key` and
  `category_key` are the network's own product identifiers, kept as given.
- `key` makes a repeat harmless: the same key again, within the mode, answers with the transaction
  already recorded; the key with another customer, amount, currency or offer is a 409.
- A test pair's transactions (on test customers) are test conversions that earn nothing; they still fire
  the partner's postbacks, marked as test.
- The conversion is recorded by the conversion intake (portal.services.intake) under the transaction's
  mode and key, a namespace no postback can reach, and committed before the transaction row: should the
  second step fail, the same request again finds that conversion and finishes the job. Two requests with
  one key at once make one conversion; the one that loses answers with the winner's transaction, or 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Conversion, Customer, Offer, Transaction
from portal.queries.settings import network_settings
from portal.services import audit
from portal.services.intake import IntakeError, IntakeRequest, TokenScope, record_conversion
from portal.services.key_material import random_name
from portal.services.partnerships import PartnershipError

CUSTOMER_REFERENCES = ("customer_key", "customer_external_key", "customer_email")
_ORDER_ID_LIMIT = 100  # Conversion.order_id: the key, shown to the partner, cut to fit


class TransactionError(PartnershipError):
    """A refused transaction: 400 (a field is wrong) or 409 (its key names another transaction)."""


def new_key(prefix: str) -> str:
    return random_name(prefix, 16)


def create(test: bool, customer: Customer, values: Mapping[str, Any],
           actor=None) -> tuple[Transaction, bool]:
    """The transaction of `customer` (see `find_customer`), and whether this call recorded it, for checked values:
    `amount` (cents), `currency` (upper case), and any of `product_key`, `category_key`, `offer_id` and
    `key`; TransactionError otherwise."""
    amount, currency = values["amount"], values["currency"]
    offer = _offer(values.get("offer_id"))
    if currency != offer.currency:
        raise TransactionError("currency", f"offer {offer.id} pays in {offer.currency}; send amounts in "
                                           f"{offer.currency}")
    key = values.get("key") or new_key("txn_")

    existing = _by_key(test, key)
    if existing is not None:
        return _same_or_conflict(existing, customer, amount, currency, offer), False
    try:
        result = record_conversion(IntakeRequest(
            affiliate_id=customer.partner_id, offer_id=offer.id, order_id=key[:_ORDER_ID_LIMIT],
            sale_amount_cents=amount, is_test=test, earns=not test, network_api_key=key), TokenScope(network=True))
    except IntakeError as err:
        if err.status == 409:  # the key's conversion belongs to another partner's customer
            raise _conflict() from None
        field, _, rule = str(err).partition(": ")
        raise TransactionError(field, rule) from None
    conversion = db.session.scalar(select(Conversion).where(Conversion.conversion_id == result.conversion_id))
    if not result.created and (conversion.partner_id, conversion.offer_id, conversion.sale_amount_cents,
                               conversion.is_test) != (customer.partner_id, offer.id, amount, test):
        # Recorded by a request with this key that stopped before its transaction row, for other values.
        raise _conflict()
    row = Transaction(key=key, reward_key=new_key("rwrd_"), customer_id=customer.id, conversion_id=conversion.id,
                      amount_cents=amount, currency=currency, product_key=values.get("product_key"),
                      category_key=values.get("category_key"), test=test)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:  # the same key, recorded by a concurrent request a moment ago
        db.session.rollback()
        existing = _by_key(test, key)
        if existing is None:
            raise _conflict() from None
        return _same_or_conflict(existing, customer, amount, currency, offer), False
    audit.record("transaction.created", actor=actor, target=row,
                 detail={"transaction": key[:100], "customer": customer.key, "amount": amount,
                         "currency": currency, "offer_id": offer.id, "conversion_id": result.conversion_id,
                         "test": test})
    db.session.commit()
    return row, True


def find_customer(test: bool, reference: Mapping[str, Any]) -> Customer:
    """The customer a transaction names by exactly one of CUSTOMER_REFERENCES (checked; an email normalised):
    one of the pair's mode whose partnership is not archived."""
    name = next(name for name in CUSTOMER_REFERENCES if reference.get(name))
    value = reference[name]
    column = {"customer_key": Customer.key, "customer_external_key": Customer.customer_key,
              "customer_email": Customer.email}[name]
    found = list(db.session.scalars(select(Customer).where(column == value.strip(), Customer.test.is_(test),
                                                           Customer.archived_at.is_(None)).limit(2)))
    if not found:
        mode = "test" if test else "production"
        raise TransactionError(name, f"no {mode} customer has this {name.removeprefix('customer_')}")
    if len(found) > 1:
        raise TransactionError(name, "more than one customer has this email; name the customer by "
                                     "customer_key or customer_external_key")
    customer = found[0]
    if customer.partner.archived_at is not None:
        raise TransactionError(name, "this customer's partnership is archived and earns nothing more")
    return customer


def _offer(offer_id: int | None) -> Offer:
    if offer_id is not None:
        offer = db.session.get(Offer, offer_id)
        if offer is None or offer.status == "deleted":
            raise TransactionError("offer_id", f"no offer has id {offer_id}")
    else:
        default = network_settings().network_api_offer_id
        if default is None:
            raise TransactionError("offer_id", "required: this network has chosen no offer for Network API "
                                               "transactions (staff: Settings)")
        offer = db.session.get(Offer, default)
        if offer is None or offer.status == "deleted":
            raise TransactionError("offer_id", "required: the network's offer for Network API transactions is "
                                               "gone (staff: Settings)")
    if offer.status != "active":
        raise TransactionError("offer_id", f"offer {offer.id} is {offer.status} and takes no transactions")
    return offer


def _by_key(test: bool, key: str) -> Transaction | None:
    return db.session.scalar(select(Transaction).where(Transaction.key == key, Transaction.test.is_(test)))


def _same_or_conflict(existing: Transaction, customer: Customer, amount: int, currency: str,
                      offer: Offer) -> Transaction:
    if (existing.customer_id, existing.amount_cents, existing.currency, existing.conversion.offer_id) != (
            customer.id, amount, currency, offer.id):
        raise _conflict()
    return existing


def _conflict() -> TransactionError:
    return TransactionError("key", "already names another transaction (a different customer, amount, currency "
                                   "or offer)", 409)
