"""The Network API blueprint under /api/v2, guarded as a whole: every view needs a live key pair."""

from __future__ import annotations

from flask import Blueprint, request

from portal.api.network import auth
from portal.api.network.errors import NetworkApiError, error_response
from portal.services.partnerships import PartnershipError

bp = Blueprint("network_api", __name__, url_prefix="/api/v2")
bp.register_error_handler(NetworkApiError, error_response)


@bp.errorhandler(PartnershipError)
def refused(err: PartnershipError):
    """The services' refusals (and the request bodies' own, see rules.parse): `<field>: <rule>`, 400 or 409."""
    return error_response(NetworkApiError(err.status, err.message))


# Endpoints open to everyone: only the API's own description, which holds none of the network's data.
PUBLIC_ENDPOINTS: set[str] = set()


def public(view):
    """Mark a view of this blueprint as open to everyone (see PUBLIC_ENDPOINTS); the default is guarded."""
    PUBLIC_ENDPOINTS.add(f"{bp.name}.{view.__name__}")
    return view


@bp.before_request
def require_pair():
    if request.endpoint not in PUBLIC_ENDPOINTS:
        auth.authenticate()
