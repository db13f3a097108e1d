"""Affiliate API errors: exceptions the blueprint turns into `{"error": ...}` with a status code."""

from __future__ import annotations

from flask import jsonify

NO_KEY = "No Authentication Method Found"
INVALID_KEY = "Invalid API key"
KEY_IN_QUERY = "API keys are not accepted in the query string; send the key in the X-Eflow-API-Key header"
IP_NOT_ALLOWED = "IP address not allowed"
OUT_OF_REALM = "Out of realm"
RATE_LIMITED = "Rate limit exceeded"
ACCOUNT_NOT_ACTIVE = "Partner account is not active; contact your account manager"


class ApiError(Exception):
    """A refusal with the status and the exact message the spec gives for it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def api_error_response(err: ApiError):
    return jsonify(error=err.message), err.status
