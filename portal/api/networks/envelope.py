"""The request body and the `paging` block, as Everflow's network endpoints take and give them."""

from __future__ import annotations

from flask import request

from portal.affiliate import parsing
from portal.api.networks.errors import NetworksApiError
from portal.domain.criteria import Page
from portal.queries.settings import network_settings


def json_body(optional: bool = False) -> dict:
    """The JSON object body; 415 for another media type, 400 for malformed JSON or a non-object. An
    `optional` body may be absent (Everflow's table endpoints take an empty one)."""
    if optional and not request.get_data(cache=True):
        return {}
    if not request.is_json:
        raise NetworksApiError(415, "Unsupported media type: send a JSON body with Content-Type: application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise NetworksApiError(400, "body: malformed JSON")
    if not isinstance(body, dict):
        raise NetworksApiError(400, "body: must be a JSON object")
    return body


def page(body: dict | None = None) -> Page:
    """?page=&page_size= from the query string (on POST endpoints too, as Everflow does); a table body's
    `paging` object ({"page", "page_size"}, as Everflow's newer table endpoints take it) when the query
    string has neither."""
    paging_body = (body or {}).get("paging")
    if isinstance(paging_body, dict) and not ({"page", "page_size"} & set(request.args)):
        return parsing.page_of({k: v for k, v in paging_body.items() if k in ("page", "page_size")})
    return parsing.page_of(request.args)


def paging(page: Page, total: int) -> dict:
    return {"page": page.page, "page_size": page.page_size, "total_count": total}


def network():
    """The network's settings: its id, timezone (the default for reports) and currency."""
    return network_settings()
