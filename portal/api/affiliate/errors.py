"""Affiliate API errors: exceptions the blueprint turns into `{"error": ...}` with a status code."""

from __future__ import annotations

from flask import jsonify


class ApiError(Exception):
    """A refusal with the status and the exact message the spec gives for it."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def api_error_response(err: ApiError):
    return jsonify(error=err.message), err.status, err.headers
