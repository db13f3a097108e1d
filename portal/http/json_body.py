"""The JSON object body of an API request, or the 4xx that says what is wrong with it (both APIs' rule)."""

from __future__ import annotations

from collections.abc import Callable

from flask import request

UNSUPPORTED = "Unsupported media type: send a JSON body with Content-Type: application/json"


def json_object(error: Callable[[int, str], Exception], optional: bool = False) -> dict:
    """The body as a JSON object; `error(415, …)` for another media type, `error(400, …)` for malformed JSON
    or a non-object. An `optional` body may be absent ({})."""
    if optional and not request.get_data(cache=True):
        return {}
    if not request.is_json:
        raise error(415, UNSUPPORTED)
    body = request.get_json(silent=True)
    if body is None:
        raise error(400, "body: malformed JSON")
    if not isinstance(body, dict):
        raise error(400, "body: must be a JSON object")
    return body
