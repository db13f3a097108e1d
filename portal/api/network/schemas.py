"""The Network API's bodies and objects, declared once: requests are parsed through these models, responses
are built from them, and the OpenAPI document's schemas are generated from them (openapi.py).

Request bodies check shape and format here (the field types, with their limits, are in fields.py, the
wording of refusals in rules.py); the services check what needs the database. Unknown fields are ignored
(tools written for PartnerStack send their own), but no text anywhere in a body may hold NUL or a lone
surrogate. A field left out is None and not in `model_fields_set`; a field whose type has no None refuses
null, except the few that have always taken null for "left out" (`fields.NULL_IS_ABSENT`).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator
from typing_extensions import TypedDict

from portal.api.network.fields import (Amount, Currency, CustomerKey, CustomerName, Email, GroupKey, KeptOwnerKey, Meta,
                                       Name, OfferId, OwnerKey, PartnerKey, ProductReference, ProviderKey, Reference,
                                       Tags, TransactionKey, email)
from portal.api.network.rules import refusal, refuse_unstorable
from portal.queries.transactions import REWARD_STATUSES
from portal.services.partnerships import TEST_PAIRS_CHOOSE_NO_KEY
from portal.services.transactions import CUSTOMER_REFERENCES


class Body(BaseModel):
    # Strict: JSON types as they are ("100" is no number, true is no 1).
    model_config = ConfigDict(strict=True, extra="ignore")
    required: ClassVar[tuple[str, ...]] = ()  # refused as "required" when left out, null or ""
    not_empty: ClassVar[tuple[str, ...]] = ()  # refused as "cannot be empty" when given as null or ""

    @model_validator(mode="before")
    @classmethod
    def _before_fields(cls, body: Any) -> Any:
        if not isinstance(body, dict):
            raise refusal("must be a JSON object", "body")
        refuse_unstorable(body, "body")
        for name in cls.required:
            if body.get(name) in (None, ""):
                raise refusal("required", name)
        for name in cls.not_empty:
            if name in body and body[name] in (None, ""):
                raise refusal("cannot be empty", name)
        cls._before_own_fields(body)
        return body

    @classmethod
    def _before_own_fields(cls, body: dict[str, Any]) -> None:
        """Rules that span fields, checked before any field is."""


def _chosen_by_a_test_pair(value: Any, info: ValidationInfo) -> Any:
    """Said before anything about the key itself (parse's context `test`: the pair's mode)."""
    if value is not None and (info.context or {}).get("test"):
        raise refusal(TEST_PAIRS_CHOOSE_NO_KEY)
    return value


class PartnershipUpdate(Body):
    email: Email = None
    first_name: Name = None
    last_name: Name = None
    group_key: GroupKey = None
    tags: Tags = None
    partner_key: PartnerKey = None


class PartnershipCreate(PartnershipUpdate):
    required = ("email",)
    email: Email
    partner_key: Annotated[PartnerKey, BeforeValidator(_chosen_by_a_test_pair)] = None


# A body's owner is looked up before the rest of the body is checked (the views parse the owner first), as
# the API has always answered: a pair naming a partnership or customer out of its reach, or moving a customer
# to another partnership, hears that first.

class CustomerKeptOwner(Body):
    partner_key: KeptOwnerKey = None  # given, it must be the customer's own


class CustomerUpdate(Body):
    not_empty = ("customer_key", "email")
    partner_key: KeptOwnerKey = None
    customer_key: CustomerKey = None
    email: Email = None
    name: CustomerName = None
    provider_key: ProviderKey = None
    meta: Meta = None


class CustomerOwner(Body):
    required = ("customer_key", "email", "partner_key")
    partner_key: OwnerKey


class CustomerCreate(Body):
    required = CustomerOwner.required
    customer_key: CustomerKey
    email: Email
    partner_key: OwnerKey
    name: CustomerName = None
    provider_key: ProviderKey = None
    meta: Meta = None


class CustomerReference(Body):
    customer_key: Reference = None
    customer_external_key: Reference = None
    customer_email: Annotated[Reference, AfterValidator(lambda value: email(value) if value else value)] = None

    @classmethod
    def _before_own_fields(cls, body: dict[str, Any]) -> None:
        if sum(body.get(name) not in (None, "") for name in CUSTOMER_REFERENCES) != 1:
            raise refusal("give exactly one of customer_key, customer_external_key and customer_email",
                          "customer_key")


class TransactionCreate(CustomerReference):
    """Exactly one of customer_key, customer_external_key and customer_email"""

    amount: Amount
    currency: Currency
    product_key: ProductReference = Field(None, description="Your product's identifier, kept as given")
    category_key: ProductReference = None
    offer_id: OfferId = None
    key: TransactionKey = None


# --- objects in answers ------------------------------------------------------------------------------------
# Built (and so checked) by serialise.py for every answer: an answer cannot drift from the document.
# `key_prefix` is what the item's key starts with, as the document describes `{key}` in its paths.

EpochMs = Annotated[int, Field(description="Epoch milliseconds")]
RewardStatus = Literal[tuple(sorted(set(REWARD_STATUSES.values())))]  # type: ignore[valid-type]


class Error(BaseModel):
    message: str
    status: int


class GroupRef(BaseModel):
    key: str
    name: str
    slug: str


class Group(GroupRef):
    default: bool
    created_at: EpochMs
    updated_at: EpochMs


class Manager(TypedDict, total=False):
    manager_name: str
    manager_email: str


class Stats(BaseModel):
    CUSTOMER_COUNT: Annotated[int, Field(ge=0)]


class Partnership(BaseModel):
    key_prefix: ClassVar[str] = "part_"
    key: str
    partner_key: str
    email: str | None
    first_name: str | None
    last_name: str | None
    group: GroupRef | None
    tags: list[str]
    manager: Manager
    address: None
    stats: Stats
    test: bool
    archived: bool
    created_at: EpochMs
    updated_at: EpochMs
    joined_at: int | None


class Customer(BaseModel):
    key_prefix: ClassVar[str] = "cust_"
    key: str
    customer_key: str
    email: str
    name: str | None
    partner_key: str
    partnership_key: str
    provider_key: str | None
    meta: dict[str, Any]
    test: bool
    archived: bool
    created_at: EpochMs
    updated_at: EpochMs


class CustomerRef(BaseModel):
    key: str
    customer_key: str
    email: str


class Transaction(BaseModel):
    key_prefix: ClassVar[str] = ""  # the caller's own keys, slashes and all
    key: str
    amount: int
    currency: str
    customer_key: str
    customer: CustomerRef
    partner_key: str
    partnership_key: str
    product_key: str | None
    category_key: str | None
    conversion_id: str
    approved: bool
    test: bool
    created_at: EpochMs
    updated_at: EpochMs


class TransactionRef(BaseModel):
    key: str
    amount: int
    currency: str


class PartnershipRef(BaseModel):
    key: str
    partner_key: str
    email: str | None


# An invoice's status in PartnerStack's words: an unpaid invoice is issued and waiting for its payment
# (approved), a paid one has been paid in full (charge_succeeded).
INVOICE_STATUSES = {"unpaid": "approved", "paid": "charge_succeeded"}


class RewardInvoice(BaseModel):
    """The invoice that carries the reward (PartnerStack's `invoice`): key is the invoice's number, status
    approved while it is unpaid and charge_succeeded once paid in full, payment_date (epoch ms, the day of
    its last payment) only once paid. A reward not invoiced yet has `invoice: null`, as has one whose invoice
    was voided (a void invoice gives its conversions back to the next run)."""

    key: str
    status: Literal[tuple(INVOICE_STATUSES.values())]  # type: ignore[valid-type]
    payment_date: EpochMs | None


class Reward(BaseModel):
    key: str
    amount: int
    currency: str
    reward_status: RewardStatus
    description: str
    customer: CustomerRef
    transaction: TransactionRef
    partnership: PartnershipRef
    invoice: RewardInvoice | None
    created_at: EpochMs
    updated_at: EpochMs


# --- the envelope (envelope.py) ----------------------------------------------------------------------------

Item = TypeVar("Item", bound=BaseModel)


class One(BaseModel, Generic[Item]):
    data: Item
    message: str
    status: Literal[200]


class Items(BaseModel, Generic[Item]):
    items: list[Item]
    has_more: bool


class Page(BaseModel, Generic[Item]):
    data: Items[Item]
    message: str
    status: Literal[200]
