"""How a request body is refused: `<field>: <rule>` in the API's own words, never pydantic's.

Each field type carries its rule (`Says`): whatever the type or its constraints refuse becomes that rule,
or a rule named for one kind of refusal (`Says("…", less_than_equal="…")`). A validator that knows better
raises `refusal(rule)`, which every `Says` around it passes on unchanged. `parse` turns the first refusal
of a body into the services' error type, which the blueprint answers with a 400.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError, core_schema

from portal.services.partnerships import PartnershipError

_RULE = "rule"  # the error type of a refusal in the API's words
Model = TypeVar("Model", bound=BaseModel)


def refusal(rule: str, field_name: str | None = None) -> PydanticCustomError:
    """A refusal worded for the caller; `field_name` when it is not the field being validated."""
    return PydanticCustomError(_RULE, "{rule}", {"rule": rule, "field": field_name})


class Says:
    """The rule of the field type it annotates (put it after the constraints it words)."""

    __slots__ = ("by_kind", "rule")

    def __init__(self, rule: str, **by_kind: str) -> None:
        self.rule, self.by_kind = rule, by_kind

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_wrap_validator_function(self._validate, handler(source))

    def _validate(self, value: Any, handler: Any) -> Any:
        try:
            return handler(value)
        except ValidationError as err:
            first = err.errors()[0]
            if first["type"] == _RULE:
                raise PydanticCustomError(_RULE, "{rule}", first["ctx"]) from None
            raise refusal(self.by_kind.get(first["type"], self.rule)) from None


def parse(model: type[Model], body: Any, **context: Any) -> Model:
    """The body as `model` (validators read `context`, such as the pair's mode), or PartnershipError naming the
    first field refused and its rule."""
    try:
        return model.model_validate(body, context=context)
    except ValidationError as err:
        first = err.errors()[0]
        context = first.get("ctx") or {}
        name = context.get("field") or (str(first["loc"][0]) if first["loc"] else "body")
        rule = context["rule"] if first["type"] == _RULE else rule_of(model, name)
        raise PartnershipError(name, rule) from None


def rule_of(model: type[BaseModel], name: str) -> str:
    """The rule a field's type says (a field left out that must be given is refused with it)."""
    found = [meta.rule for meta in model.model_fields[name].metadata if isinstance(meta, Says)]
    if not found:
        raise LookupError(f"{model.__name__}.{name} has no Says rule")
    return found[-1]


def refuse_unstorable(value: object, where: str) -> None:
    """JSON's "\\ud800" escapes decode to lone surrogates, and "\\u0000" to NUL: neither can be stored.

    Names and values are checked everywhere in a body, nested or not, known fields or not; the refusal
    names the top-level field (or `body` for a name)."""
    if isinstance(value, dict):
        for name, item in value.items():
            refuse_unstorable(name, where)
            refuse_unstorable(item, name if where == "body" else where)
    elif isinstance(value, list):
        for item in value:
            refuse_unstorable(item, where)
    elif isinstance(value, str):
        if "\x00" in value:
            raise refusal("text must not contain NUL characters", where)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise refusal("must be valid text (a lone UTF-16 surrogate is not)", where) from None
