"""The request body and the `paging` block, as Everflow's network endpoints take and give them."""

from __future__ import annotations

from flask import request

from portal.affiliate import parsing
from portal.api.networks.errors import NetworksApiError
from portal.domain.criteria import Page
from portal.http.json_body import json_object
from portal.queries.settings import network_settings


def json_body(optional: bool = False) -> dict:
    """The JSON object body (an `optional` one may be absent: Everflow's table endpoints take an empty one)."""
    return json_object(NetworksApiError, optional)


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
