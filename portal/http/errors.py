"""Error pages for people, JSON for machines; a database outage is a 503 with Retry-After.

The JSON is each API's own shape: `{"error": …}` for the Affiliate API (Everflow's) and the other machine
routes, `{"message": …, "status": …}` for the Network API under /api/v2 (PartnerStack's)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from limits.errors import StorageError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from portal.domain.errors import NotServedUpstream, UpstreamUnavailable
from portal.extensions import db

MESSAGES = {
    400: "The request could not be understood. Please go back and try again.",
    403: "Forbidden",
    404: "Not found",
    405: "That action is not allowed here.",
    413: "The request is too large.",
}

# The Affiliate API's texts (spec/affiliate-api.md, "Authentication and errors"); never a stack trace.
API_MESSAGES = {
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Unsupported media type: send a JSON body with Content-Type: application/json",
    429: "Rate limit exceeded",
    500: "Internal server error",
}
DATABASE_RETRY_AFTER = "30"
STORAGE_RETRY_AFTER = "5"


NETWORK_API_PREFIX = "/api/v2"


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def wants_json() -> bool:
    """/v1, /api/v2, /healthz and the conversion intake /postback answer in JSON, matched by path so that
    unknown API paths (never dispatched to a blueprint) and routing errors (404, 405) answer in JSON too."""
    path = request.path
    return _under(path, "/v1") or _under(path, NETWORK_API_PREFIX) or path in ("/healthz", "/postback")


def json_error(message: str, status: int):
    """The error body in the shape of the API the request is for, and its status."""
    if _under(request.path, NETWORK_API_PREFIX):
        return jsonify(message=message, status=status), status
    return jsonify(error=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if wants_json():
            return _json_error(err)
        message = MESSAGES.get(err.code, err.description)
        if err.code == 400 and err.description and "CSRF" in err.description:
            message = "Your form expired or was sent from another site. Please reload the page and try again."
        return render_template("error.html", code=err.code, title=err.name, message=message), err.code

    @app.errorhandler(OperationalError)
    def database_unavailable(err):
        db.session.rollback()
        if wants_json():
            body, status = json_error("Service unavailable: the database is not reachable; retry shortly", 503)
            return body, status, {"Retry-After": DATABASE_RETRY_AFTER}
        body = render_template("error.html", code=503, title="Service unavailable",
                               message="The database is not reachable right now. Please try again in a minute.")
        return body, 503, {"Retry-After": DATABASE_RETRY_AFTER}

    @app.errorhandler(DataError)
    def value_out_of_range(err):
        # The database refused a value (a NUL byte in text, a number out of range): the input's fault.
        db.session.rollback()
        if wants_json():
            return json_error("A value in the request cannot be stored or searched for (out of range or "
                              "containing a NUL character)", 400)
        body = render_template("error.html", code=400, title="Bad request",
                               message="A value you sent is out of range or contains a character that is not allowed.")
        return body, 400

    @app.errorhandler(UpstreamUnavailable)
    def upstream_unavailable(err: UpstreamUnavailable):
        # Upstream mode: no answer from the tracking platform is a 503 (502 when it answered unusably),
        # never a 500 and never stale figures shown as fresh.
        headers = {"Retry-After": str(err.retry_after)}
        if wants_json():
            body, status = json_error(err.message, err.status)
            return body, status, headers
        title = "Service unavailable" if err.status == 503 else "Bad gateway"
        return render_template("error.html", code=err.status, title=title, message=err.message), err.status, headers

    @app.errorhandler(NotServedUpstream)
    def not_served_upstream(err: NotServedUpstream):
        # The API: 501 Not Implemented with {"error"}; a page says so in the partner's layout instead of
        # showing an empty table.
        if wants_json():
            return json_error(err.message, 501)
        if request.blueprint == "partner":
            return render_template("partner/not_served.html", title=err.feature, message=err.message), 200
        return render_template("error.html", code=501, title="Not available", message=err.message), 501

    @app.errorhandler(StorageError)
    def rate_limit_storage_unavailable(err):
        # Redis holds the shared budget; without it the budget cannot be enforced, so refuse for now.
        body, status = json_error("Service unavailable: the rate-limit store is not reachable; retry shortly", 503)
        return body, status, {"Retry-After": STORAGE_RETRY_AFTER}


def _json_error(err: HTTPException):
    code = err.code or 500
    message = API_MESSAGES.get(code) or err.description or err.name
    if code == 400:
        # Flask hides why a JSON body failed to parse outside debug mode; the reason is about the
        # client's own input, so the API passes it on ("Failed to decode JSON object: …").
        cause = err.__cause__
        message = cause.description if isinstance(cause, HTTPException) and cause.description else err.description
    headers = [(name, value) for name, value in err.get_headers() if name.lower() != "content-type"]
    body, status = json_error(message, code)
    return body, status, headers
