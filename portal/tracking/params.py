"""Turning a postback's raw parameters (query, form or JSON body) into a checked IntakeRequest.

Every refusal names the parameter and the rule, because the caller is a machine whose operator reads
the answer in a log: "amount: must be a number like 49.99" is fixable, "bad request" is not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from flask import Request

from portal.models import CONVERSION_STATUSES
from portal.services.intake import IntakeError, IntakeRequest

MAX_AMOUNT = Decimal("1000000000")  # one billion in major units: more is a bug upstream, not a sale
CENT = Decimal("0.01")
_AMOUNT = re.compile(r"[0-9]{1,16}(?:\.[0-9]{1,8})?|\.[0-9]{1,8}")
MAX_LENGTHS = {"transaction_id": 64, "event_name": 100, "order_id": 100, "coupon_code": 100}
TRUE_VALUES, FALSE_VALUES = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def raw_parameters(request: Request) -> dict[str, str]:
    """Query parameters, overlaid by the form or JSON body of a POST (the body wins on a clash)."""
    values = {name: request.args.get(name, "") for name in request.args}
    if request.method == "POST":
        if request.is_json:
            body = request.get_json()  # malformed JSON: a 400 that says why (BadRequest)
            if not isinstance(body, Mapping):
                raise IntakeError("body: a JSON body must be an object of parameters")
            for name, value in body.items():
                values[str(name)] = _json_scalar(str(name), value)
        else:
            values.update({name: request.form.get(name, "") for name in request.form})
    return values


def _json_scalar(name: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")  # JSON's "\ud800" escapes decode to lone surrogates, which are not text
        except UnicodeEncodeError:
            raise IntakeError(f"{name}: must be valid text (a lone UTF-16 surrogate is not)") from None
        return value
    raise IntakeError(f"{name}: must be a string or a number")


def token(values: Mapping[str, str]) -> str:
    """The presented intake token ("" when absent); checked before anything else is looked at."""
    return (values.get("token") or "").strip()


def parse(values: Mapping[str, str]) -> IntakeRequest:
    """An IntakeRequest, or IntakeError (400) naming the first parameter that is wrong."""
    text = {name: _text(values, name) for name in MAX_LENGTHS}
    status = _text(values, "status", 20)
    if status is not None:
        status = status.lower()
        if status not in CONVERSION_STATUSES:
            raise IntakeError(f"status: must be one of {', '.join(CONVERSION_STATUSES)}")
    return IntakeRequest(
        transaction_id=text["transaction_id"],
        affiliate_id=_identifier(values, "affiliate_id"),
        offer_id=_identifier(values, "offer_id"),
        sale_amount_cents=_amount(values),
        event_name=text["event_name"],
        order_id=text["order_id"],
        status=status,
        coupon_code=text["coupon_code"],
        is_test=_flag(values, "is_test"),
    )


def _text(values: Mapping[str, str], name: str, limit: int | None = None) -> str | None:
    """A trimmed value, None when absent or empty; control characters and overlong values are refused."""
    value = (values.get(name) or "").strip()
    if not value:
        return None
    limit = limit or MAX_LENGTHS[name]
    if len(value) > limit:
        raise IntakeError(f"{name}: at most {limit} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise IntakeError(f"{name}: must not contain control characters")
    return value


def _identifier(values: Mapping[str, str], name: str) -> int | None:
    value = (values.get(name) or "").strip()
    if not value:
        return None
    # isdecimal() alone admits other scripts' digits; ids are ASCII. Nine digits fit a 32-bit column.
    if not (value.isascii() and value.isdigit()) or len(value) > 9 or int(value) < 1:
        raise IntakeError(f"{name}: must be a whole number from 1 to 999999999")
    return int(value)


def _amount(values: Mapping[str, str]) -> int:
    """The sale amount in minor units from `amount` or `sale_amount` (major units, e.g. 49.99)."""
    given = {name: (values.get(name) or "").strip() for name in ("amount", "sale_amount")}
    given = {name: value for name, value in given.items() if value}
    if not given:
        return 0
    cents = {name: _cents(name, value) for name, value in given.items()}
    if len(set(cents.values())) > 1:
        raise IntakeError("amount: amount and sale_amount disagree; send one of them")
    return next(iter(cents.values()))


def _cents(name: str, value: str) -> int:
    if value.startswith("-") and _AMOUNT.fullmatch(value[1:]):
        raise IntakeError(f"{name}: must not be negative")
    # A plain decimal only: Decimal() alone would also take "1e3", "NaN", "1_000" and non-ASCII digits.
    if not _AMOUNT.fullmatch(value):
        raise IntakeError(f"{name}: must be a number like 49.99")
    amount = Decimal(value)
    if amount > MAX_AMOUNT:
        raise IntakeError(f"{name}: at most {MAX_AMOUNT:,}")
    return int(amount.quantize(CENT, rounding=ROUND_HALF_UP) * 100)


def _flag(values: Mapping[str, str], name: str) -> bool:
    value = (values.get(name) or "").strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise IntakeError(f"{name}: must be 1 or 0 (true or false)")
