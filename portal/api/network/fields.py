"""The field types of the Network API's request bodies: each with its limits, its normalisation and its rule
(see rules.py), so that a model declares a field in one line and the OpenAPI document shows the limits.

In `Annotated[...]`, constraints come first (or the JSON schema loses them), then the validators that run
after them and the `Says` that words their refusals; `BeforeValidator`s and `NULL_IS_ABSENT`, listed last,
run first.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field, WrapValidator

from portal.api.network.rules import Says, refusal
from portal.services.partners import PARTNER_KEY_PATTERN

MAX_EMAIL = 254
MAX_NAME = 50
MAX_TAGS = 50
MAX_TAG = 100
MAX_CUSTOMER_KEY = 255
MAX_CUSTOMER_NAME = 100
MAX_PROVIDER_KEY = 255
MAX_META_ENTRIES = 25
MAX_META_NAME = 30
MAX_META_VALUE = 100
MAX_PARTNER_KEY = 80  # Partner.partner_key's width
MAX_AMOUNT = 50_000_000_000  # cents, as PartnerStack allows
KEY_LENGTH = (4, 255)
MAX_REFERENCE = 255
MAX_OFFER_ID = 2**31 - 1
EMAIL_RULE = f"an email address of at most {MAX_EMAIL} characters"


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _whole(value: Any) -> Any:
    """JSON numbers such as 100.0 are whole numbers too."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def email(value: str) -> str:
    """Normalised, as stored (and so as looked up)."""
    if len(value) > MAX_EMAIL:
        raise refusal(EMAIL_RULE)
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as err:
        raise refusal(f"not a valid email address ({err})") from None


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("blank")
    return value.strip()


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise refusal("numbers must be finite")
    return value


def _unique(tags: list[str] | None) -> list[str]:
    return list(dict.fromkeys(tags or []))


def _null_is_absent(value: Any, handler: Any) -> Any:
    return None if value is None else handler(value)


# Taken as left out when null, as these fields always were; the document still says they are no nulls.
NULL_IS_ABSENT = WrapValidator(_null_is_absent)
STRIP = BeforeValidator(_strip)
EMPTY_IS_NULL = AfterValidator(lambda value: value or None)


def optional_text(limit: int) -> Any:
    """Text of at most `limit` characters once stripped, or null; blank is null."""
    return Annotated[str | None, Field(max_length=limit), EMPTY_IS_NULL,
                     Says(f"text of at most {limit} characters, or null"), STRIP]


Name = optional_text(MAX_NAME)
CustomerName = optional_text(MAX_CUSTOMER_NAME)
ProviderKey = optional_text(MAX_PROVIDER_KEY)
Email = Annotated[str, Field(max_length=MAX_EMAIL, json_schema_extra={"format": "email"}), AfterValidator(email),
                  Says(EMAIL_RULE)]
Tag = Annotated[str, Field(min_length=1, max_length=MAX_TAG), Says(f"each tag is text of 1 to {MAX_TAG} characters"),
                STRIP]
Tags = Annotated[list[Tag] | None, Field(max_length=MAX_TAGS), AfterValidator(_unique),
                 Says(f"a list of at most {MAX_TAGS} strings")]
PartnerKey = Annotated[
    str, Field(pattern=f"^{PARTNER_KEY_PATTERN.pattern}$",
               description="Never reused: 409 when in use or ever used. Test pairs cannot choose one"),
    Says("2–80 characters of lowercase letters, digits, '-' or '_', starting with a letter or digit"), NULL_IS_ABSENT]
GroupKey = Annotated[str, Field(min_length=1), Says("a group's key (see GET /api/v2/groups)")]
CustomerKey = Annotated[str, Field(min_length=1, max_length=MAX_CUSTOMER_KEY), AfterValidator(_non_blank),
                        Says(f"text of 1 to {MAX_CUSTOMER_KEY} characters")]
OwnerKey = Annotated[str, Field(max_length=MAX_PARTNER_KEY), Says("the partner key of a partnership")]
KeptOwnerKey = Annotated[str, Field(max_length=MAX_PARTNER_KEY),
                         Says("a customer stays with the partnership that referred it")]
MetaName = Annotated[str, Field(max_length=MAX_META_NAME), Says(f"each name is at most {MAX_META_NAME} characters")]
MetaValue = Annotated[Annotated[str, Field(max_length=MAX_META_VALUE)] | int | float | bool | None,
                      Says(f"each value is a number, true/false, null or text of at most {MAX_META_VALUE} characters"),
                      BeforeValidator(_finite)]
Meta = Annotated[dict[MetaName, MetaValue] | None, Field(max_length=MAX_META_ENTRIES),
                 AfterValidator(lambda meta: meta or {}), Says(f"an object of at most {MAX_META_ENTRIES} entries")]
Reference = Annotated[str | None, Field(max_length=MAX_REFERENCE), Says(f"text of at most {MAX_REFERENCE} characters")]
ProductReference = Annotated[str | None, Field(max_length=MAX_REFERENCE), EMPTY_IS_NULL,
                             Says(f"text of at most {MAX_REFERENCE} characters, or null")]
Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT,
                              description="Cents; refunds (negative amounts) are not supported yet"),
                   Says("required: a whole number of cents",
                        greater_than_equal="refunds (negative amounts) are not supported yet",
                        less_than_equal=f"at most {MAX_AMOUNT} cents"),
                   BeforeValidator(_whole)]
Currency = Annotated[str, Field(pattern="^[A-Za-z]{3}$"), AfterValidator(str.upper),
                     Says("required: a 3-letter ISO 4217 code")]
TransactionKey = Annotated[str, Field(min_length=KEY_LENGTH[0], max_length=KEY_LENGTH[1]),
                           Says(f"text of {KEY_LENGTH[0]} to {KEY_LENGTH[1]} characters"), NULL_IS_ABSENT]
OfferId = Annotated[int, Field(ge=1, le=MAX_OFFER_ID, description="(ext) The offer to record it on; else the "
                                                                   "network's offer for transactions"),
                    Says("an offer's id"), BeforeValidator(_whole), NULL_IS_ABSENT]
