"""The Affiliate API blueprint under /v1, guarded as a whole: key, allowlist, budgets, usage."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from portal.api.affiliate import auth, budget
from portal.api.affiliate.errors import ApiError, api_error_response

bp = Blueprint("affiliate_api", __name__, url_prefix="/v1")
bp.register_error_handler(ApiError, api_error_response)
bp.teardown_request(auth.forget)

# Endpoints that need no key and spend no budget: only the API's own description, which holds no partner
# data and is the same for everyone (tools and the docs page fetch it before anyone has a key).
PUBLIC_ENDPOINTS: set[str] = set()


def public(view):
    """Mark a view of this blueprint as open to everyone (see PUBLIC_ENDPOINTS); the default is guarded."""
    PUBLIC_ENDPOINTS.add(f"{bp.name}.{view.__name__}")
    return view


@bp.before_request
def require_key():
    """Every view needs an admitted key and a unit of the network's budget; views never check either."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    result = auth.authenticate()
    if result.error is not None:
        raise result.error
    budget.spend(result.principal.partner.id, result.ip)


@bp.after_request
def track_usage(response):
    """Count the request against the key it presented (buffered; see portal.services.usage)."""
    result = auth.current()
    if result is not None and result.key_id is not None and request.url_rule is not None:
        current_app.extensions["portal.api_usage"].record_here(
            key_id=result.key_id, partner_id=result.partner_id,
            endpoint=f"{request.method} {request.url_rule.rule}", status=response.status_code,
            ip=result.ip, admitted=result.admitted,
        )
    return response
