"""`GET|POST /postback`: conversion intake for advertisers and the network's tracker.

Machine-to-machine: authenticated by an intake token parameter, exempt from CSRF (no cookies are used),
outside the partner and staff guards and outside the Affiliate API's rate budget. Every answer is JSON:
`{"result", "conversion_id", "status"}` with 200, or `{"error"}` naming the problem. A database outage is
a 503 with Retry-After and nothing committed, so the caller retries and the retry is safe (idempotent).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from portal.extensions import csrf, db
from portal.http.errors import DATABASE_RETRY_AFTER
from portal.services.intake import IntakeError, authenticate, record_conversion
from portal.tracking.params import parse, raw_parameters, token

bp = Blueprint("intake", __name__)
csrf.exempt(bp)
NO_CACHE = {"Cache-Control": "no-store"}


@bp.route("/postback", methods=["GET", "POST"])
def postback():
    if request.method == "HEAD":  # HEAD must not record anything; trackers send GET or POST
        return jsonify(error="Method not allowed: send GET or POST"), 405, {"Allow": "GET, POST", **NO_CACHE}
    values = raw_parameters(request)
    scope = authenticate(token(values))  # first: an unknown caller learns nothing, not even what is wrong
    result = record_conversion(parse(values), scope)
    body = {"result": "created" if result.created else "duplicate",
            "conversion_id": result.conversion_id, "status": result.status}
    return jsonify(body), 200, NO_CACHE


@bp.errorhandler(IntakeError)
def refused(err: IntakeError):
    db.session.rollback()
    return jsonify(error=str(err)), err.status, NO_CACHE


@bp.errorhandler(OperationalError)
@bp.errorhandler(InterfaceError)
@bp.errorhandler(PoolTimeoutError)
def database_unavailable(err):
    # Unreachable, restarting, locked or out of connections: nothing was committed (or, if the commit
    # itself failed, the retry finds the conversion by its intake key), so "retry later" is always right.
    db.session.rollback()
    body = jsonify(error="Service unavailable: the database is not reachable; retry shortly")
    return body, 503, {"Retry-After": DATABASE_RETRY_AFTER, **NO_CACHE}


@bp.errorhandler(DataError)
def unstorable_value(err):
    db.session.rollback()
    return jsonify(error="A value in the request cannot be stored (out of range or not valid text)"), 400, NO_CACHE


@bp.errorhandler(HTTPException)
def http_error(err: HTTPException):
    # Malformed JSON, an oversized body (413): JSON like every other answer of this endpoint.
    message = err.description or err.name
    cause = err.__cause__  # Flask hides why a JSON body failed to parse outside debug; it is the caller's input
    if err.code == 400 and isinstance(cause, HTTPException) and cause.description:
        message = cause.description
    headers = [(name, value) for name, value in err.get_headers() if name.lower() != "content-type"]
    return jsonify(error=message), err.code or 500, headers
