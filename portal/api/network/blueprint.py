"""The Network API blueprint under /api/v2, guarded as a whole: every view needs a live key pair and its budget."""

from __future__ import annotations

from flask import Blueprint, request

from portal.api.network import auth, budget
from portal.api.network.errors import NetworkApiError, error_response
from portal.http.auth_throttle import client_ip
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
    """Every view needs a live pair and a unit of its budget; views never check either."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        ip = client_ip()
        budget.spend(auth.authenticate(ip), ip)


bp.after_request(budget.finish_headers)
