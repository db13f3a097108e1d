"""The Affiliate API's request and response envelope: the JSON object body and the `paging` block."""

from __future__ import annotations

from flask import request

from portal.api.affiliate.errors import ApiError
from portal.domain.criteria import Paged


def json_body() -> dict:
    """The JSON object body; 415 for another media type, 400 for malformed JSON or a non-object."""
    if not request.is_json:
        raise ApiError(415, "Unsupported media type: send a JSON body with Content-Type: application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "body: malformed JSON")
    if not isinstance(body, dict):
        raise ApiError(400, "body: must be a JSON object")
    return body


def paging(found: Paged) -> dict:
    return {"page": found.page.page, "page_size": found.page.page_size, "total_count": found.total_count}
