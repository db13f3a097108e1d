"""The Everflow-style Network API's refusals: `{"error": ...}` with a status code, as Everflow answers."""

from __future__ import annotations

from flask import jsonify

from portal.domain.errors import BadRequest, NotFound


class NetworksApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def api_error(err: NetworksApiError):
    return jsonify(error=err.message), err.status, err.headers


def bad_request(err: BadRequest):
    return jsonify(error=err.message), 400


def not_found(err: NotFound):
    return jsonify(error="Not found"), 404
