"""The Network API's OpenAPI 3.1 description (`GET /api/v2/openapi.json`), public like the Affiliate API's,
generated: every route is declared once with `operation` (which registers it on the blueprint), its bodies
and objects are the models of schemas.py, and its limits come from the code that enforces them (paging,
the models' constraints). tests/api/network/test_openapi.py checks that the document and `app.url_map`
agree in both directions, validates it, and fuzzes the running API against it with schemathesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, TypeAdapter

from portal.api.network import blueprint, errors, paging
from portal.api.network.schemas import Error, One, Page
from portal.http.contract import AUTH_THROTTLED, NETWORK_OPENAPI_PATH, RATE_LIMITED

OPENAPI_PATH = NETWORK_OPENAPI_PATH
JSON = "application/json"
REF = "#/components/schemas/"
_SECURITY = [{"basicAuth": []}]
_ERRORS = {
    400: "Bad input: the message names the field and the rule it broke (`<field>: <rule>`)",
    401: f"No credentials, or wrong, malformed or revoked ones (`{errors.INVALID_CREDENTIALS}`)",
    403: f"`{errors.OUT_OF_REALM}`: a partner's Affiliate API key was sent",
    404: "No such item, or one of the other mode's (the same answer for both)",
    405: "Method not allowed",
    409: "Conflict: a partner key in use or ever used, a customer key taken, a transaction key naming another "
         "transaction, or the built-in test partner",
    429: f"`{RATE_LIMITED}` (the key pair's budget is spent), or `{AUTH_THROTTLED}`: wait `Retry-After` seconds",
    503: "The database or the rate-limit store is unreachable: retry after `Retry-After` seconds",
}
_ERROR_HEADERS = {401: "WWW-Authenticate", 429: "Retry-After", 503: "Retry-After"}
HEADERS = "#/components/headers/"
# The pair's budget (portal.api.network.budget): on every answer to an authenticated pair, so not on a
# refusal before authentication (401, 403), a 405, or a 503 before the budget was read.
RATE_HEADERS = {
    "X-RateLimit-Limit": {"description": "Requests the key pair's window allows", "schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"description": "Requests left in the key pair's window",
                              "schema": {"type": "integer", "minimum": 0}},
    "X-RateLimit-Reset": {"description": "Seconds until the oldest request counted in the window leaves it "
                                         "(0 when none is counted)", "schema": {"type": "integer", "minimum": 0}},
}
_RATE_STATUSES = (200, 400, 404, 409, 429)
# Keywords that constrain one JSON type only: branches of an anyOf that use none in common merge into one
# schema with a list of types, as the document has always written nullable fields.
_TYPED_KEYWORDS = {"maxLength", "minLength", "pattern", "format", "items", "maxItems", "minItems", "properties",
                   "required", "additionalProperties", "propertyNames", "maxProperties", "minimum", "maximum"}


@dataclass(frozen=True)
class Operation:
    path: str  # as OpenAPI writes it
    method: str
    summary: str
    body: type[BaseModel] | None
    one: type[BaseModel] | None  # the answer: one item…
    page: type[BaseModel] | None  # …or a page of them
    says: str | None  # what the answer is, when not "The <item>"
    statuses: tuple[int, ...]  # besides 200 and the errors every operation may answer
    parameters: tuple[dict[str, Any], ...]
    public: bool


OPERATIONS: list[Operation] = []


def operation(method: str, rule: str, summary: str, *, body: type[BaseModel] | None = None,
              one: type[BaseModel] | None = None, page: type[BaseModel] | None = None, says: str | None = None,
              conflict: bool = False, filters: tuple[str, ...] = (), archivable: bool = False,
              query: dict[str, tuple[Any, str]] | None = None, public: bool = False):
    """Register the view for `method rule` on the blueprint, and describe it in the document.

    A list (`page=`) takes the paging parameters, the text `filters`, `include_archived` when `archivable`,
    and `query` (name → (type, description)); a `<key>` in the rule is the item's key (404 when unknown)."""
    def register(view):
        blueprint.bp.add_url_rule(rule, view_func=view, methods=[method])
        item = one or page
        key = "<key>" in rule or "<path:key>" in rule
        parameters = [*(_key_parameter(item.key_prefix, slashes="<path:" in rule) if key else ()),
                      *(_list_parameters(filters, archivable) if page else ()),
                      *(_query(name, TypeAdapter(kind).json_schema(), text) for name, (kind, text) in
                        (query or {}).items())]
        OPERATIONS.append(Operation(
            path=blueprint.bp.url_prefix + rule.replace("<path:key>", "{key}").replace("<key>", "{key}"),
            method=method.lower(), summary=summary, body=body, one=one, page=page, says=says,
            statuses=(*((404,) if key else ()), *((409,) if conflict else ())), parameters=tuple(parameters),
            public=public))
        return blueprint.public(view) if public else view
    return register


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _list_parameters(filters: tuple[str, ...], archivable: bool) -> list[dict[str, Any]]:
    text = {"type": "string", "maxLength": paging.MAX_FILTER}
    return [
        _query("limit", {"type": "integer", "minimum": 1, "maximum": paging.MAX_LIMIT,
                         "default": paging.DEFAULT_LIMIT}, "Items per page"),
        _query("starting_after", {"type": "string", "maxLength": paging.MAX_KEY},
               "An item's key: the page after it (older items); never with ending_before"),
        _query("ending_before", {"type": "string", "maxLength": paging.MAX_KEY},
               "An item's key: the page before it (newer items)"),
        *(_query(name, {"type": "integer", "minimum": 0, "maximum": paging.MAX_EPOCH_MS},
                 "Epoch milliseconds, bound included")
          for name in ("min_created", "max_created", "min_updated", "max_updated")),
        *([_query("include_archived", {"type": "boolean", "default": False}, "List archived items too")]
          if archivable else []),
        *(_query(name, text, f"Only items with this {name}") for name in filters),
    ]


def _key_parameter(prefix: str, slashes: bool) -> list[dict[str, Any]]:
    named = f" (`{prefix}…`)" if prefix else ""
    schema = {"type": "string"} if slashes else {"type": "string", "pattern": "^[^/]+$"}
    return [{"name": "key", "in": "path", "required": True, "schema": schema,
             "description": f"The item's key{named}"}]


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    return {JSON: {"schema": schema}}


def _responses(op: Operation, components: set[str]) -> dict[str, Any]:
    if op.page:
        ok = {"description": "One page, newest first", "content": _content(_schema(Page[op.page], components))}
    else:
        ok = {"description": op.says or f"The {op.one.__name__.lower()}",
              "content": _content(_schema(One[op.one], components))}
    responses = {"200": ok}
    for status in (400, 401, 403, 405, 429, 503, *op.statuses):
        responses[str(status)] = {"description": _ERRORS[status], "content": _content({"$ref": f"{REF}Error"})}
        if status in _ERROR_HEADERS:
            responses[str(status)]["headers"] = {_ERROR_HEADERS[status]: {"schema": {"type": "string"}}}
    for status in _RATE_STATUSES:
        if str(status) in responses:
            headers = responses[str(status)].setdefault("headers", {})
            headers.update({name: {"$ref": HEADERS + name} for name in RATE_HEADERS})
    return responses


def _operation(op: Operation, components: set[str]) -> dict[str, Any]:
    if op.public:
        return {"summary": op.summary, "security": [], "responses": {"200": {
            "description": "OpenAPI 3.1", "content": _content({"type": "object"})}}}
    described: dict[str, Any] = {"summary": op.summary, "security": _SECURITY,
                                 "responses": _responses(op, components)}
    if op.parameters:
        described["parameters"] = list(op.parameters)
    if op.body:
        described["requestBody"] = {"required": True, "content": _content({"$ref": f"{REF}{op.body.__name__}"})}
    return described


def _schema(model: type[BaseModel], components: set[str]) -> dict[str, Any]:
    """The model's JSON schema as the document writes it: other models are components, or written in place."""
    generated = model.model_json_schema(ref_template=REF + "{model}")
    return _tidy(generated, generated.pop("$defs", {}), components)


def _tidy(node: Any, defs: dict[str, Any], components: set[str]) -> Any:
    """No generated titles, no `default: null` or `additionalProperties: true` (both say nothing), and
    nullable fields as a list of types."""
    if isinstance(node, list):
        return [_tidy(item, defs, components) for item in node]
    if not isinstance(node, dict):
        return node
    name = node.get("$ref", "").removeprefix(REF)
    if name and name not in components:
        return _tidy(defs[name], defs, components)
    tidy = {}
    for keyword, value in node.items():
        if keyword == "title" or (keyword, value) in (("default", None), ("additionalProperties", True)):
            continue
        tidy[keyword] = ({field: _tidy(schema, defs, components) for field, schema in value.items()}
                         if keyword == "properties" else _tidy(value, defs, components))
    return _merged_types(tidy)


def _merged_types(schema: dict[str, Any]) -> dict[str, Any]:
    branches = schema.get("anyOf", [])
    own = [set(branch) - {"type"} for branch in branches]
    if not branches or any(not isinstance(branch.get("type"), str) or not keywords <= _TYPED_KEYWORDS
                           for branch, keywords in zip(branches, own)):
        return schema
    if len(set().union(*own)) != sum(map(len, own)):
        return schema  # two branches constrain the same keyword: keep them apart
    types = [branch["type"] for branch in branches]
    if "number" in types and "integer" in types:
        types.remove("integer")  # every integer is a number
    merged = {keyword: value for keyword, value in schema.items() if keyword != "anyOf"}
    for branch in branches:
        merged.update({keyword: value for keyword, value in branch.items() if keyword != "type"})
    return {**merged, "type": types}


def build(base_url: str) -> dict[str, Any]:
    models = {model for op in OPERATIONS for model in (op.body, op.one, op.page) if model} | {Error}
    components = {model.__name__ for model in models}
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Network API", "version": "2",
                 "description": "The network's own back end: partnerships, groups, customers, transactions and "
                                "rewards. HTTP Basic "
                                "with a test or production key pair; `{data, message, status}`; cursor paging. "
                                "Each key pair has its own request budget: answers to it carry X-RateLimit-Limit, "
                                "X-RateLimit-Remaining and X-RateLimit-Reset (seconds), a 429 carries Retry-After. "
                                "An address whose credentials failed too often gets 429 for a while."},
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {"securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic",
                                                         "description": "Public key : secret key"}},
                       "headers": RATE_HEADERS,
                       "schemas": {model.__name__: _schema(model, components)
                                   for model in sorted(models, key=lambda model: model.__name__)}},
    }


@lru_cache(maxsize=8)
def cached(base_url: str) -> dict[str, Any]:
    return build(base_url)
