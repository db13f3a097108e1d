"""Each Affiliate API route declared once: one decorator registers the view and describes its operation.

`Routes(tag).post(rule, summary, ok=…, body=…)` puts the view on the blueprint and records what the OpenAPI
document (portal.api.affiliate.openapi) says of it: the path and its variables come from the rule, the
error statuses from what the operation takes (a key, a body, query arguments), and `public=True` both
opens the view to callers without a key and tells the document so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partialmethod
from typing import Any

from portal.affiliate import parsing
from portal.api.affiliate.blueprint import bp, public as open_to_all
from portal.exports.tabular import EXPORT_FORMATS
from portal.http.downloads import CONTENT_TYPES

JSON = "application/json"
SECURITY = [{"EflowApiKey": []}, {"ApiKeyHeader": []}, {"BearerKey": []}]
RATE_HEADERS = {
    "X-RateLimit-Limit": {"$ref": "#/components/headers/X-RateLimit-Limit"},
    "X-RateLimit-Remaining": {"$ref": "#/components/headers/X-RateLimit-Remaining"},
    "X-RateLimit-Reset": {"$ref": "#/components/headers/X-RateLimit-Reset"},
}
# The query-string arguments of the criteria tables (portal.affiliate.parsing), by name.
PAGING = tuple(field.name for field in parsing.PAGING.fields)
ORDER = tuple(field.name for field in parsing.ORDER.fields)
_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def paged(key: str, item: str) -> dict:
    """A page of `item`s under `key`, with the paging block."""
    return {"type": "object", "required": [key, "paging"], "additionalProperties": False,
            "properties": {key: {"type": "array", "items": ref(item)}, "paging": ref("Paging")}}


# pandas dtypes of the export frames → JSON types (the nullable ones may be empty in a row).
_DTYPES = {"string": ["string", "null"], "int64": "integer", "Int64": ["integer", "null"],
           "float64": ["number", "null"], "bool": "boolean"}


def download(name: str, columns: dict[str, str], fixed: bool) -> dict:
    """A file download of every matching row. A row of the JSON form follows the export's declared columns
    and dtypes; a report's dimension columns depend on the request, so only its metric columns are listed."""
    row = {"type": "object", "properties": {column: {"type": _DTYPES[dtype]} for column, dtype in columns.items()},
           "required": list(columns), "additionalProperties": False if fixed else {
               "type": ["string", "integer", "null"]}}
    content = {CONTENT_TYPES[fmt].split(";")[0]: {"schema": {"type": "string"}} for fmt in EXPORT_FORMATS}
    content[JSON] = {"schema": {"type": "array", "items": row}}
    return {"description": "A file download: every matching row (no paging); CSV, JSON or NDJSON", "headers": {
        **RATE_HEADERS, "Content-Disposition": {"schema": {"type": "string"}, "required": True,
                                                "description": f'attachment; filename="{name}_<from>_<to>.<format>"'}},
            "content": content}


@dataclass(frozen=True)
class Operation:
    """What the document says of one method on one path."""

    method: str
    path: str  # in OpenAPI's form, /v1/affiliates/pixels/{pixel_id}
    variables: tuple[str, ...]
    summary: str
    tag: str
    ok: str | dict  # a component's name, a schema, or (with "description") a whole response
    status: int = 200
    body: str | None = None  # the request body's component name
    body_required: bool = True
    params: tuple[str, ...] = ()  # query-string arguments (components/parameters)
    extra: tuple[int, ...] = ()  # error statuses beyond the ones every keyed operation may answer
    description: str = ""
    public: bool = False

    def describe(self) -> dict[str, Any]:
        ok = self.ok if isinstance(self.ok, dict) and "description" in self.ok else {
            "description": "Created" if self.status == 201 else "OK", "headers": RATE_HEADERS,
            "content": {JSON: {"schema": ref(self.ok) if isinstance(self.ok, str) else self.ok}}}
        op: dict[str, Any] = {"summary": self.summary, "tags": [self.tag], "responses": {str(self.status): ok}}
        if self.description:
            op["description"] = self.description
        if self.variables or self.params:
            op["parameters"] = [{"$ref": f"#/components/parameters/{name}"} for name in (*self.variables, *self.params)]
        if self.body:
            op["requestBody"] = {"required": self.body_required, "content": {JSON: {"schema": ref(self.body)}}}
        statuses = (405, 503) if self.public else (401, 403, 405, 429, 503, *self.extra)
        if self.body or self.params:
            statuses = (*statuses, 400)
        if self.body:
            statuses = (*statuses, 413, 415)
        for status in sorted(set(statuses)):
            op["responses"][str(status)] = {"$ref": f"#/components/responses/E{status}"}
        op["security"] = [] if self.public else SECURITY
        return op


OPERATIONS: list[Operation] = []


class Routes:
    """The routes of one module of the API, under one tag of the document."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def route(self, method: str, rule: str, summary: str, **described):
        def register(view):
            path = bp.url_prefix + rule
            OPERATIONS.append(Operation(method.lower(), _VARIABLE.sub(r"{\1}", path), tuple(_VARIABLE.findall(path)),
                                        summary, self.tag, **described))
            if described.get("public"):
                open_to_all(view)
            return bp.route(rule, methods=[method])(view)
        return register

    get = partialmethod(route, "GET")
    post = partialmethod(route, "POST")
    put = partialmethod(route, "PUT")
    delete = partialmethod(route, "DELETE")
