"""Customers from the Network API: create, update, archive; each audited. The values arrive checked for shape
and format (portal/api/network/schemas.py); what needs the database is checked here, and a refusal names
the field (`CustomerError`).

A customer belongs to one partnership for good (its partner_key cannot change: that would move the
referral). The pair's mode is the customer's: a test pair makes test customers, and only under test
partnerships; a production pair only under production ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Customer, Partner
from portal.models.base import utcnow
from portal.queries import partnerships as partnership_queries
from portal.services import audit
from portal.services.key_material import random_name
from portal.services.partnerships import PartnershipError

FIELDS = ("customer_key", "email", "name", "provider_key", "meta")


class CustomerError(PartnershipError):
    """A refused change: 400 (a field is wrong) or 409 (the customer_key is taken); nothing written."""


def new_customer_key() -> str:
    return random_name("cust_", 16)


def create(test: bool, partner: Partner, values: Mapping[str, Any], actor=None) -> Customer:
    """A customer of `partner` (see `find_partnership`) from checked values: `customer_key` and `email`
    (normalised), and any of `name`, `provider_key` and `meta`."""
    given = {name: values[name] for name in FIELDS if name in values}
    customer = Customer(key=new_customer_key(), partner_id=partner.id, test=test, meta=given.pop("meta", {}),
                        **given)
    db.session.add(customer)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _taken(given["customer_key"]) from None
    audit.record("customer.created", actor=actor, target=customer,
                 detail={"customer": customer.key, "partner_id": partner.id, "test": test})
    db.session.commit()
    return customer


def update(customer: Customer, values: Mapping[str, Any], actor=None) -> Customer:
    """Set the fields given, checked (others stay). The partnership a customer belongs to never changes."""
    keep_partnership(customer, values)
    changed = sorted(name for name in FIELDS if name in values and getattr(customer, name) != values[name])
    for name in changed:
        setattr(customer, name, values[name])
    if changed:
        customer.updated_at = utcnow()
        audit.record("customer.updated", actor=actor, target=customer,
                     detail={"customer": customer.key, "changed": changed})
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _taken(values.get("customer_key", customer.customer_key)) from None
    return customer


def keep_partnership(customer: Customer, values: Mapping[str, Any]) -> None:
    """A `partner_key` among the values must be the customer's own: a customer never moves."""
    if "partner_key" in values and values["partner_key"] != customer.partner.partner_key:
        raise CustomerError("partner_key", "a customer stays with the partnership that referred it")


def archive(customer: Customer, actor=None) -> Customer:
    """DELETE archives: out of lists by default, still readable by its key."""
    if customer.archived_at is None:
        customer.archived_at = customer.updated_at = utcnow()
        audit.record("customer.archived", actor=actor, target=customer, detail={"customer": customer.key})
        db.session.commit()
    return customer


def find_partnership(test: bool, partner_key: str) -> Partner:
    """The partnership a new customer names: one of the pair's mode, not archived."""
    partner = db.session.scalar(select(Partner).where(Partner.partner_key == partner_key,
                                                      *partnership_queries.in_mode(test)))
    if partner is None:
        rule = ("no test partnership has this partner key (test customers belong to test partners, such as "
                "gstest)" if test else "no production partnership has this partner key")
        raise CustomerError("partner_key", rule)
    if partner.archived_at is not None:
        raise CustomerError("partner_key", "this partnership is archived")
    return partner


def _taken(customer_key: str) -> CustomerError:
    return CustomerError("customer_key", f"{customer_key[:80]!r} belongs to another customer", 409)
