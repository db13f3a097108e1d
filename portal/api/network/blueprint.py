"""The Network API blueprint under /api/v2, guarded as a whole: every view needs a live key pair."""

from __future__ import annotations

from flask import Blueprint

from portal.api.network import auth
from portal.api.network.errors import NetworkApiError, error_response

bp = Blueprint("network_api", __name__, url_prefix="/api/v2")
bp.register_error_handler(NetworkApiError, error_response)


@bp.before_request
def require_pair():
    auth.authenticate()
