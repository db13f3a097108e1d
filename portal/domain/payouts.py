"""A partner's payout details as values: the payment methods and their fields, validation (PayPal address,
IBAN checksum, BIC structure, ACH routing checksum) and the masked form in which they are shown.

Pure: no portal imports. The clear values live only encrypted at rest (portal.services.payouts); pages,
staff views without the reveal permission, mail and the audit log only ever see `masked()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from portal.domain.text import text_fault

# What the partner may choose; each method has the fields it needs (REQUIRED) and may have more (OPTIONAL).
METHOD_LABELS: dict[str, str] = {
    "paypal": "PayPal",
    "sepa": "Bank transfer (SEPA, IBAN)",
    "wire": "International wire (SWIFT)",
    "ach": "Bank transfer (ACH, US)",
    "check": "Check by mail",
}
METHODS = tuple(METHOD_LABELS)

FIELD_LABELS: dict[str, str] = {
    "paypal_email": "PayPal email",
    "account_holder": "Account holder",
    "iban": "IBAN",
    "account_number": "Account number",
    "bic": "BIC / SWIFT",
    "routing_number": "Routing number (ABA)",
    "bank_name": "Bank name",
    "bank_country": "Bank country",
    "payee_name": "Payee name",
    "mailing_address": "Mailing address",
}
FIELDS = tuple(FIELD_LABELS)

REQUIRED: dict[str, tuple[str, ...]] = {
    "paypal": ("paypal_email",),
    "sepa": ("account_holder", "iban"),
    "wire": ("account_holder", "bic", "bank_name", "bank_country"),  # and an IBAN or an account number
    "ach": ("account_holder", "account_number", "routing_number"),
    "check": ("payee_name", "mailing_address"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "paypal": (),
    "sepa": ("bic", "bank_name"),
    "wire": ("iban", "account_number"),
    "ach": ("bank_name",),
    "check": (),
}

TAX_FORMS: dict[str, str] = {"W-9": "W-9 (US persons)", "W-8BEN": "W-8BEN (individuals outside the US)",
                             "W-8BEN-E": "W-8BEN-E (entities outside the US)"}
TAX_STATUSES: dict[str, str] = {"not_submitted": "Not submitted", "submitted": "Submitted, under review",
                                "approved": "Approved"}
PARTNER_TAX_STATUSES = ("not_submitted", "submitted")  # "approved" is the network's word, not the partner's

MAX_LENGTHS = {"paypal_email": 254, "account_holder": 140, "iban": 42, "account_number": 34, "bic": 14,
               "routing_number": 11, "bank_name": 140, "bank_country": 2, "payee_name": 140,
               "mailing_address": 400}

_ACCOUNT_NUMBER = re.compile(r"^[0-9A-Za-z]{4,34}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class PayoutDetailsInvalid(ValueError):
    """A value the partner entered cannot be used: `field` names it, the message says why (for the form)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class PayoutChangeRefused(ValueError):
    """Not this user's to change, or the confirmation failed: the message says why (for the form)."""


@dataclass(frozen=True)
class PayoutChange:
    """What the partner entered: the method and its fields, the tax form, and the confirmation."""

    method: str
    values: dict[str, str | None]
    tax_form: str | None
    tax_status: str
    password: str
    code: str | None = None


@dataclass(frozen=True)
class PayoutView:
    """What a page may show: the method, the masked fields (in FIELDS order), the tax form, who changed it."""

    method: str | None
    masked: list[tuple[str, str]]
    tax_form: str | None
    tax_status: str
    updated_at: datetime | None
    updated_by: str

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.method or "", "None yet")


@dataclass(frozen=True)
class PayoutDetails:
    """The method and its cleaned fields (only those of the method), in the clear: never shown, never logged."""

    method: str
    fields: dict[str, str]


def clean(method: str, values: dict[str, str | None]) -> PayoutDetails:
    """The details of `method` from what was entered (other methods' fields are dropped), normalised, or
    PayoutDetailsInvalid for the first field that cannot be used."""
    if method not in METHODS:
        raise PayoutDetailsInvalid("method", "Choose a payment method.")
    wanted = REQUIRED[method] + OPTIONAL[method]
    fields: dict[str, str] = {}
    for name in wanted:
        raw = values.get(name)
        text = raw.strip() if isinstance(raw, str) else ""
        fault = text_fault(text) or ("must not contain characters that could not be read"
                                      if "\ufffd" in text else None)
        if fault:
            raise PayoutDetailsInvalid(name, f"{FIELD_LABELS[name]} {fault}.")
        if len(text) > MAX_LENGTHS[name]:
            raise PayoutDetailsInvalid(name, f"{FIELD_LABELS[name]}: at most {MAX_LENGTHS[name]} characters.")
        if not text:
            if name in REQUIRED[method]:
                raise PayoutDetailsInvalid(name, f"Enter the {FIELD_LABELS[name].lower()}.")
            continue
        if name != "mailing_address" and any(ord(c) < 32 or ord(c) == 127 for c in text):
            raise PayoutDetailsInvalid(name, f"{FIELD_LABELS[name]} must be on one line.")
        fields[name] = _CHECKS.get(name, _plain)(text)
    if method == "wire" and not (fields.get("iban") or fields.get("account_number")):
        raise PayoutDetailsInvalid("account_number", "Enter the IBAN or the account number.")
    return PayoutDetails(method, fields)


def _plain(text: str) -> str:
    return text


def _paypal_email(text: str) -> str:
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise PayoutDetailsInvalid("paypal_email", "Enter the email address of your PayPal account.") from None


def _iban(text: str) -> str:
    try:
        return IBAN(text).compact
    except SchwiftyException:
        raise PayoutDetailsInvalid("iban", "That is not a valid IBAN: check the country code, the length and "
                                           "the two check digits.") from None


def _bic(text: str) -> str:
    try:
        return BIC(text).compact
    except SchwiftyException:
        raise PayoutDetailsInvalid("bic", "That is not a valid BIC / SWIFT code (8 or 11 characters: bank, "
                                          "country, location and optional branch).") from None


def routing_number_valid(text: str) -> bool:
    """An ABA routing number: nine digits whose weighted sum (3, 7, 1, …) is a multiple of 10."""
    if not (len(text) == 9 and text.isascii() and text.isdigit()):
        return False
    digits = [int(c) for c in text]
    return sum(d * w for d, w in zip(digits, (3, 7, 1) * 3, strict=True)) % 10 == 0


def _routing_number(text: str) -> str:
    compact = text.replace(" ", "").replace("-", "")
    if not routing_number_valid(compact):
        raise PayoutDetailsInvalid("routing_number", "That is not a valid ABA routing number (nine digits with "
                                                     "a check digit).")
    return compact


def _account_number(text: str) -> str:
    compact = text.replace(" ", "").replace("-", "")
    if not _ACCOUNT_NUMBER.match(compact):
        raise PayoutDetailsInvalid("account_number", "An account number has 4 to 34 letters and digits.")
    return compact


def _bank_country(text: str) -> str:
    code = text.upper()
    if not _COUNTRY.match(code):
        raise PayoutDetailsInvalid("bank_country", "Enter the bank's country as a two-letter code, such as DE or US.")
    return code


_CHECKS = {"paypal_email": _paypal_email, "iban": _iban, "bic": _bic, "routing_number": _routing_number,
           "account_number": _account_number, "bank_country": _bank_country}


# --- masking ---------------------------------------------------------------------------------------------


def mask_email(email: str) -> str:
    """j***@example.com: the first character of the local part and the whole domain."""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}" if local else "***"


def mask_iban(iban: str) -> str:
    """DE89 **** **** 3000: country and check digits, the last four characters."""
    if len(iban) < 8:
        return "****"
    return f"{iban[:4]} **** **** {iban[-4:]}"


def mask_tail(value: str, shown: int = 4) -> str:
    """**** 6789: the tail of an account or routing number, never more than a quarter of it.

    At most `shown` characters and at most a quarter of the value show, so a short number is never
    given away whole or nearly whole; four characters or fewer show nothing at all.
    """
    tail = min(shown, 4, len(value) // 4) if len(value) > 4 else 0
    return f"**** {value[-tail:]}" if tail > 0 else "****"


def mask_name(value: str) -> str:
    """J*** D***: the initial of each word."""
    return " ".join(word[:1] + "***" for word in value.split()) or "***"


_MASKS = {"paypal_email": mask_email, "iban": mask_iban, "account_number": mask_tail, "routing_number": mask_tail,
          "account_holder": mask_name, "payee_name": mask_name, "mailing_address": lambda v: "*** (on file)"}


def masked(details: PayoutDetails) -> dict[str, str]:
    """Field name → what may be shown of it: BIC, bank name and country are public facts of the bank."""
    return {name: _MASKS.get(name, _plain)(value) for name, value in details.fields.items()}


def changed_fields(before: PayoutDetails | None, after: PayoutDetails) -> list[str]:
    """The names of what changed (the method counts as one), in the order of FIELDS."""
    if before is None:
        return ["method", *after.fields]
    names = ["method"] if before.method != after.method else []
    return names + [n for n in FIELDS if before.fields.get(n) != after.fields.get(n)]
