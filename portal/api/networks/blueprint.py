"""The Everflow-style Network API blueprint under /v1/networks, guarded as a whole: key, then budget.

Routes are declared once with `route(...)`, which registers the view and records what the OpenAPI
document (portal.api.networks.openapi) says of it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, request

from portal.api.networks import auth, budget
from portal.api.networks.errors import NetworksApiError, api_error, bad_request, not_found
from portal.domain.errors import BadRequest, NotFound

bp = Blueprint("networks_api", __name__, url_prefix="/v1/networks")
bp.register_error_handler(NetworksApiError, api_error)
bp.register_error_handler(BadRequest, bad_request)
bp.register_error_handler(NotFound, not_found)
bp.teardown_request(auth.forget)

PUBLIC_ENDPOINTS: set[str] = set()


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # OpenAPI's form: /v1/networks/pixels/{pixel_id}
    summary: str
    tag: str
    body: str | None  # a request schema name
    ok: str | dict  # the response schema name (or an inline schema)
    status: int = 200
    query: tuple[str, ...] = ()
    extra: tuple[int, ...] = ()
    description: str = ""


OPERATIONS: list[Operation] = []


def route(method: str, rule: str, summary: str, tag: str, *, ok, body: str | None = None, status: int = 200,
          query: tuple[str, ...] = (), extra: tuple[int, ...] = (), public: bool = False, description: str = ""):
    """Register a view at /v1/networks + rule and describe it for the OpenAPI document."""
    path = "/v1/networks" + rule
    for converter in ("int:", "string:"):
        path = path.replace("<" + converter, "{")
    path = path.replace("<", "{").replace(">", "}")

    def register(view):
        bp.add_url_rule(rule, view_func=view, methods=[method], strict_slashes=False)
        if public:
            PUBLIC_ENDPOINTS.add(f"{bp.name}.{view.__name__}")
        OPERATIONS.append(Operation(method, path, summary, tag, body, ok, status, query, extra, description))
        return view
    return register


@bp.before_request
def require_key():
    """Every view needs an admitted network key and a unit of the network's budget."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    caller = auth.authenticate()
    budget.spend(caller.ip)
