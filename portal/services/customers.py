"""Customers from the Network API: create, update, archive; each audited. Values come from a request body,
so everything is checked here and a refusal names the field (`CustomerError`).

A customer belongs to one partnership for good (its partner_key cannot change: that would move the
referral). The pair's mode is the customer's: a test pair makes test customers, and only under test
partnerships; a production pair only under production ones.
"""

from __future__ import annotations

import math
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
from portal.services.partnerships import PartnershipError, checked_email

MAX_CUSTOMER_KEY = 255
MAX_NAME = 100
MAX_PROVIDER_KEY = 255
MAX_META_ENTRIES = 25
MAX_META_NAME = 30
MAX_META_VALUE = 100


class CustomerError(PartnershipError):
    """A refused change: 400 (a field is wrong) or 409 (the customer_key is taken); nothing written."""


def new_customer_key() -> str:
    return random_name("cust_", 16)


def create(test: bool, body: Mapping[str, Any], actor=None) -> Customer:
    for name in ("customer_key", "email", "partner_key"):
        if body.get(name) in (None, ""):
            raise CustomerError(name, "required")
    partner = _partner(test, body["partner_key"])
    values = _checked(body)
    customer = Customer(key=new_customer_key(), partner_id=partner.id, test=test, meta=values.pop("meta", {}),
                        **values)
    db.session.add(customer)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _taken(values["customer_key"]) from None
    audit.record("customer.created", actor=actor, target=customer,
                 detail={"customer": customer.key, "partner_id": partner.id, "test": test})
    db.session.commit()
    return customer


def update(customer: Customer, body: Mapping[str, Any], actor=None) -> Customer:
    """Set the fields given (others stay). The partnership a customer belongs to never changes."""
    if "partner_key" in body and body["partner_key"] != customer.partner.partner_key:
        raise CustomerError("partner_key", "a customer stays with the partnership that referred it")
    for name in ("customer_key", "email"):
        if name in body and body[name] in (None, ""):
            raise CustomerError(name, "cannot be empty")
    values = _checked(body)
    changed = sorted(name for name, value in values.items() if getattr(customer, name) != value)
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


def archive(customer: Customer, actor=None) -> Customer:
    """DELETE archives: out of lists by default, still readable by its key."""
    if customer.archived_at is None:
        customer.archived_at = customer.updated_at = utcnow()
        audit.record("customer.archived", actor=actor, target=customer, detail={"customer": customer.key})
        db.session.commit()
    return customer


def _partner(test: bool, partner_key: object) -> Partner:
    if not isinstance(partner_key, str) or len(partner_key) > 80:
        raise CustomerError("partner_key", "the partner key of a partnership")
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


def _checked(body: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "customer_key" in body:
        value = body["customer_key"]
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_CUSTOMER_KEY:
            raise CustomerError("customer_key", f"text of 1 to {MAX_CUSTOMER_KEY} characters")
        values["customer_key"] = value.strip()
    if "email" in body:
        try:
            values["email"] = checked_email(body["email"])
        except PartnershipError as err:
            raise CustomerError("email", err.rule) from None
    for name, limit in (("name", MAX_NAME), ("provider_key", MAX_PROVIDER_KEY)):
        if name in body:
            value = body[name]
            if value is not None and (not isinstance(value, str) or len(value.strip()) > limit):
                raise CustomerError(name, f"text of at most {limit} characters, or null")
            values[name] = (value.strip() or None) if isinstance(value, str) else None
    if "meta" in body:
        values["meta"] = _meta(body["meta"])
    return values


def _meta(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_META_ENTRIES:
        raise CustomerError("meta", f"an object of at most {MAX_META_ENTRIES} entries")
    for name, item in value.items():
        if len(name) > MAX_META_NAME:
            raise CustomerError("meta", f"each name is at most {MAX_META_NAME} characters")
        if isinstance(item, float) and not math.isfinite(item):
            raise CustomerError("meta", "numbers must be finite")
        if not (item is None or isinstance(item, bool | int | float) or
                (isinstance(item, str) and len(item) <= MAX_META_VALUE)):
            raise CustomerError("meta", f"each value is a number, true/false, null or text of at most "
                                        f"{MAX_META_VALUE} characters")
    return dict(value)

