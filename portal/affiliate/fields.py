"""Field kinds of a partner's requests: each reads a raw value leniently and states what it takes as JSON Schema.

The Affiliate API follows Everflow's, whose clients send what spreadsheets and shell scripts produce: "1"
for true, 12.0 for 12, a date with a time after a T. A kind reads such a value into a plain one or raises
`BadRequest(field, rule)`; the same kind says in JSON Schema which values it takes, so the OpenAPI document
(portal.api.affiliate.openapi_schemas) is derived from the very object that parses. Request bodies are
tables of `Field`s (portal.affiliate.parsing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal.domain import timezones
from portal.domain.errors import BadRequest


class Absent:
    """The value of a key the request does not carry (an explicit null is None)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent()


def whole_number(value):
    """A JSON number with nothing after the point (12.0) is the whole number it equals: JSON does not tell
    12 from 12.0, and neither do schema validators; other values are returned as they are."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def ascii_digits(text: str) -> bool:
    """Digits int() reads: "²".isdigit() is True too, and int("²") fails."""
    return text.isascii() and text.isdigit()


def one_of(values: tuple[str, ...]) -> str:
    """The values as a rule's text: 'a, b or c'."""
    return f"{', '.join(values[:-1])} or {values[-1]}" if len(values) > 1 else values[0]


class Kind:
    """What a field may hold. `parse` reads a value that is not blank; a blank one (see `blank`) is the
    field's default, or `required_rule` when the field is required. `schema` describes every raw value
    that `read` takes (blank ones included) as JSON Schema."""

    required_rule = "is required"

    def blank(self, raw: Any) -> bool:
        return raw is None

    def read(self, raw: Any, name: str, *, required: bool = False, default: Any = None) -> Any:
        if raw is ABSENT or self.blank(raw):
            if required:
                raise BadRequest(name, self.required_rule)
            return default
        return self.parse(raw, name)

    def parse(self, raw: Any, name: str) -> Any:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class Field:
    """One entry of a request's table: its name, kind, whether it is required or what it defaults to, and
    the words the OpenAPI document shows for it."""

    name: str
    kind: Kind
    description: str = ""
    required: bool = False
    default: Any = None
    show_default: bool = False  # state the default in the schema too
    example: Any = None

    def read(self, source: Mapping, prefix: str = "") -> Any:
        return self.take(source.get(self.name, ABSENT), prefix)

    def take(self, raw: Any, prefix: str = "") -> Any:
        return self.kind.read(raw, prefix + self.name, required=self.required, default=self.default)

    def schema(self) -> dict[str, Any]:
        schema = self.kind.schema()
        if self.example is not None:
            schema["example"] = self.example
        if self.description:
            schema["description"] = self.description
        if self.show_default:
            schema["default"] = self.default
        return schema

    def parameter(self) -> dict[str, Any]:
        """The field as an OpenAPI query-string parameter."""
        return {"name": self.name, "in": "query", "required": self.required,
                "schema": {k: v for k, v in self.schema().items() if k != "description"},
                "description": self.description}


class Body:
    """A request body (or a set of query-string arguments) declared as a table of fields."""

    def __init__(self, *fields: Field) -> None:
        self.fields = fields
        self._by_name = {field.name: field for field in fields}

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    def read(self, source: Mapping, name: str) -> Any:
        return self._by_name[name].read(source)

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object"}
        required = [field.name for field in self.fields if field.required]
        if required:
            schema["required"] = required
        schema["properties"] = {field.name: field.schema() for field in self.fields}
        return schema


def mapping(value, name: str) -> Mapping:
    """A JSON object, or {} for null."""
    if value is None or value is ABSENT:
        return {}
    if not isinstance(value, Mapping):
        raise BadRequest(name, "must be a JSON object")
    return value


# --- the kinds ----------------------------------------------------------------------------------------


class Flag(Kind):
    """true or false, also as the forms spreadsheets and shells send: 1/0, "true"/"false", "1"/"0", and ""
    for false; null is the default."""

    def parse(self, raw, name):
        if isinstance(raw, bool):
            return raw
        if raw in ("true", "1", 1):
            return True
        if raw in ("false", "0", 0, ""):
            return False
        raise BadRequest(name, "must be true or false")

    def schema(self):
        return {"enum": [True, False, 1, 0, "true", "false", "1", "0", "", None],
                "description": "true or false (also 1/0 and \"true\"/\"false\")"}


# The date forms Moment reads: YYYY-MM-DD, or with a time after a space or a T.
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}:[0-9]{2})?$"
_MOMENT_FORMS = (("%Y-%m-%d", True), ("%Y-%m-%d %H:%M:%S", False), ("%Y-%m-%dT%H:%M:%S", False))


class Moment(Kind):
    """A day (YYYY-MM-DD) or a moment (YYYY-MM-DD HH:MM:SS, or with a T) from 2000 to 2100, read as
    (naive local datetime, whether it is a whole day); the caller knows the timezone."""

    required_rule = "is required (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"

    def blank(self, raw):
        return raw is None or raw == ""

    def parse(self, raw, name) -> tuple[datetime, bool]:
        if not isinstance(raw, str):
            raise BadRequest(name, "must be a string, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS")
        text = raw.strip()
        for fmt, whole_day in _MOMENT_FORMS:
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if parsed.year < 2000 or parsed.year > 2100:
                raise BadRequest(name, "must be a date between 2000 and 2100")
            return parsed, whole_day
        raise BadRequest(name, "must be a date, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS")

    def schema(self):
        return {"type": "string", "pattern": DATE_PATTERN}


class TimezoneId(Kind):
    """An id of GET /v1/meta/timezones (Everflow's, 1 to 99), as a number or a string of digits; read as its
    IANA name."""

    def blank(self, raw):
        raw = whole_number(raw)
        return raw is None or raw == ""

    def parse(self, raw, name) -> str:
        raw = whole_number(raw)
        text = str(raw).strip()
        if isinstance(raw, bool) or not isinstance(raw, (int, str)) or not ascii_digits(text):
            raise BadRequest(name, "must be a whole number from GET /v1/meta/timezones")
        digits = text.lstrip("0") or "0"  # int() refuses a string of thousands of digits: no id has more than 2
        zone = timezones.by_id(int(digits)) if len(digits) <= 3 else None
        if zone is None:
            raise BadRequest(name, "unknown id; the ids are Everflow's, 1 to 99, and GET /v1/meta/timezones lists them")
        return zone.iana

    def schema(self):
        ids = [z.timezone_id for z in timezones.TIMEZONES]
        return {"anyOf": [{"type": "integer", "enum": ids}, {"type": "string", "enum": [str(i) for i in ids]},
                          {"enum": ["", None]}]}


class TimezoneName(Kind):
    """An IANA zone name: any zone of the tz database, not only those GET /v1/meta/timezones lists."""

    def blank(self, raw):
        return raw is None or raw == ""

    def parse(self, raw, name) -> str:
        if not timezones.is_zone(raw):
            raise BadRequest(name, "unknown timezone; an IANA zone name such as Europe/London")
        return raw

    def schema(self):
        return {"anyOf": [{"type": "string", "enum": sorted(timezones.IANA_NAMES)}, {"enum": ["", None]}]}


# A whole number written with a point (67.0): the document's integers include it, as JSON Schema's do, and
# a client that holds the number as a float writes it so.
_POINT_ZERO = re.compile(r"([0-9]+)\.0+")


@dataclass(frozen=True)
class PositiveInt(Kind):
    """A whole number from 1, of at most `digits` digits and at most `maximum`, as a query string sends
    it ("" is the default; 67.0 is 67)."""

    maximum: int | None = None
    digits: int = 9

    def blank(self, raw):
        return raw is None or raw == ""

    def parse(self, raw, name) -> int:
        text = str(raw).strip()
        whole = _POINT_ZERO.fullmatch(text)
        if whole:
            text = whole[1]
        if not ascii_digits(text) or int(text) < 1:
            raise BadRequest(name, "must be a whole number, 1 or more")
        if len(text) > self.digits:
            raise BadRequest(name, "is too large")
        if self.maximum is not None and int(text) > self.maximum:
            raise BadRequest(name, f"must be at most {self.maximum}")
        return int(text)

    def schema(self):
        top = self.maximum if self.maximum is not None else 10**self.digits - 1
        return {"anyOf": [{"type": "integer", "minimum": 1, "maximum": top}, {"type": "string", "maxLength": 0}]}


@dataclass(frozen=True)
class Choice(Kind):
    """One of `values`. `empty`: any empty value (as a query string sends it) is the default; `nullable`:
    null is; `fold_case`: compared in lower case."""

    values: tuple[str, ...]
    rule: str
    empty: bool = False
    nullable: bool = False
    fold_case: bool = False

    def blank(self, raw):
        return (self.empty and not raw) or (self.nullable and raw is None)

    def parse(self, raw, name) -> str:
        value = str(raw).lower() if self.fold_case else raw
        if value not in self.values:
            raise BadRequest(name, self.rule)
        return value

    def schema(self):
        values = [*([""] if self.empty else []), *self.values, *([None] if self.nullable else [])]
        return {"enum": values} if self.nullable else {"type": "string", "enum": values}


class CurrencyCode(Kind):
    """A three-letter currency code (or null)."""

    def parse(self, raw, name) -> str:
        if not isinstance(raw, str) or len(raw.strip()) != 3 or not raw.strip().isalpha():
            raise BadRequest(name, "must be a three-letter currency code")
        return raw

    def schema(self):
        return {"type": ["string", "null"], "pattern": "^[A-Za-z]{3}$"}


@dataclass(frozen=True, eq=False)
class Nested(Kind):
    """A JSON object (or null, read as {}) holding fields of its own; read as {name: value}. Its fields'
    errors are named `<this>.<field>`."""

    body: Body

    def read(self, raw, name, *, required=False, default=None) -> dict[str, Any]:
        inner = mapping(raw, name)
        return {field.name: field.read(inner, f"{name}.") for field in self.body.fields}

    def schema(self):
        return {"type": ["object", "null"], "properties": self.body.schema()["properties"]}
