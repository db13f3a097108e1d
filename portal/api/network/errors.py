"""Network API errors: `{"message": …, "status": …}` with `status` the HTTP status as an integer."""

from __future__ import annotations

from flask import jsonify

from portal.api.network.schemas import Error

NO_CREDENTIALS = ("Authentication required: send your public key as the username and your secret key as the "
                  "password with HTTP Basic auth")
INVALID_CREDENTIALS = "Invalid API credentials"
OUT_OF_REALM = "Out of realm"
NOT_FOUND = "Not found"


class NetworkApiError(Exception):
    """A refusal with its status and a message that names the problem."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def bad_request(field: str, rule: str) -> NetworkApiError:
    return NetworkApiError(400, f"{field}: {rule}")


def error_response(err: NetworkApiError):
    return jsonify(Error(message=err.message, status=err.status).model_dump()), err.status, err.headers
