"""The partner portal blueprint, guarded as a whole: a signed-in partner user, reading through the façade."""

from __future__ import annotations

from flask import Blueprint, g, request
from flask_login import current_user

from portal.affiliate import scope_for
from portal.domain.actors import Actor
from portal.web.guards import guard_partner
from portal.web.partner.access import enforce_roles

bp = Blueprint("partner", __name__)
guard_partner(bp)
enforce_roles(bp)  # after the sign-in guard: each endpoint needs its role's capability


@bp.before_request
def bind_scope():
    actor = Actor("partner", current_user.id, current_user.email, request.remote_addr)
    g.scope = scope_for(current_user.partner, actor)


@bp.context_processor
def navigation_facts():
    # The API entry appears once the partner has an active key; before that My Account explains why.
    return {"has_key": g.scope.has_active_key()} if "scope" in g else {}
